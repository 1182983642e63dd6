using NodeMesh.Core;
using NodeMesh.Core.Checkpoints;
using NodeMesh.Core.Model;
using NodeMesh.Core.Training;

namespace NodeMesh.Cli;

/// <summary>Loads and saves a run's weights as safetensors (unit layouts of <see cref="WeightLayout"/>).</summary>
public static class Checkpoint
{
    /// <summary>
    /// The unit vectors of <paramref name="plan"/> from the checkpoint at <paramref name="path"/>;
    /// every problem is a <see cref="UserInputException"/> about <c>--init</c>.
    /// </summary>
    public static float[][] Load(NetworkPlan plan, string path)
    {
        try { return LoadUnitVectors(plan, path); }
        catch (UserInputException e) { throw e.ForSetting(UserErrors.Init); }
    }

    private static float[][] LoadUnitVectors(NetworkPlan plan, string path)
    {
        var tensors = SafeTensorsFile.Read(path);
        var result = new float[plan.Layers.Count][];
        foreach (var l in plan.Layers)
        {
            var (wn, bn) = WeightLayout.Names(l);
            if (!tensors.TryGetValue(wn, out var w) || !tensors.TryGetValue(bn, out var b))
                throw new UserInputException($"{path}: no tensor '{(tensors.ContainsKey(wn) ? bn : wn)}' for layer {l.Name}; the file holds {string.Join(", ", tensors.Keys.Order())}. Layers are named conv1, conv2, …, dense1, … in --arch order.");
            result[l.Index] = WeightLayout.ToUnitVectors(l, w, b, path);
        }
        var known = plan.Layers.SelectMany(l => new[] { WeightLayout.Names(l).Weight, WeightLayout.Names(l).Bias }).ToHashSet();
        var extra = tensors.Keys.Where(k => !known.Contains(k)).Order().ToList();
        if (extra.Count > 0)
            throw new UserInputException($"{path}: tensor(s) {string.Join(", ", extra)} match no layer of --arch '{plan.Arch}'; check that the checkpoint was made for this architecture.");
        return result;
    }

    public static void Save(NetworkPlan plan, float[][] layers, string path, TrainOptions options)
    {
        var tensors = new List<NamedTensor>();
        foreach (var l in plan.Layers)
        {
            var (w, b) = WeightLayout.FromUnitVectors(l, layers[l.Index]);
            tensors.Add(w); tensors.Add(b);
        }
        SafeTensorsFile.Write(path, tensors, new Dictionary<string, string>
        {
            ["arch"] = plan.Arch.Text,
            ["strategy"] = options.Strategy.Describe(),
            ["format"] = "nodemesh unit layout: conv [Cout,H,W,Cin,kh,kw], dense [out,in] (in = channel,row,column)",
        });
    }

    /// <summary>Fails early (before training) when the checkpoint cannot be written.</summary>
    public static void CheckWritable(string path)
    {
        if (Directory.Exists(path))
            throw new UserInputException($"--save {path}: is a directory; give a file name such as {Path.Combine(path, "weights.safetensors")}.");
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(dir))
            throw new UserInputException($"--save {path}: directory '{dir}' does not exist; create it first.");
    }
}
