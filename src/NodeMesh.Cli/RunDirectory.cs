using System.Globalization;
using System.Security.Cryptography;
using NodeMesh.Core;
using NodeMesh.Core.Checkpoints;

namespace NodeMesh.Cli;

/// <summary>
/// Run and sweep folders that NodeMesh makes: a folder is claimed by creating its marker file
/// (<see cref="Marker"/>) with create-new semantics, which exactly one process can do, so two
/// runs never share a folder; a folder that holds files without the marker is never written into.
/// </summary>
public static class RunDirectory
{
    /// <summary>The marker file of a folder NodeMesh made; it holds the command that made it.</summary>
    public const string Marker = ".nodemesh";

    private const string SummaryFile = "summary.json";

    /// <summary>True when <paramref name="dir"/> holds NodeMesh's marker.</summary>
    public static bool IsOurs(string dir) => File.Exists(Path.Combine(dir, Marker));

    /// <summary>
    /// Refuses (with what to do instead) a folder that a new run or sweep may not write into: a
    /// file, a finished run, an unfinished run (which <c>--resume</c> continues), or a folder with
    /// files NodeMesh did not make. Creates nothing.
    /// </summary>
    public static void CheckFree(string dir, string flag = "--out")
    {
        if (File.Exists(dir)) throw new UserInputException($"{flag} {dir} is a file; give a folder (new or empty).");
        if (!Directory.Exists(dir) || !Directory.EnumerateFileSystemEntries(dir).Any()) return;
        if (File.Exists(Path.Combine(dir, SummaryFile)))
            throw new UserInputException($"{flag} {dir}: the folder already holds a finished run (summary.json); choose a new folder so that no result is overwritten.");
        if (IsOurs(dir))
            throw new UserInputException(File.Exists(Path.Combine(dir, TrainingCheckpoint.FileName))
                ? $"{flag} {dir}: the folder holds an unfinished run; continue it with 'nodemesh train --resume {dir}', or choose a new folder."
                : $"{flag} {dir}: the folder holds an unfinished run without a checkpoint; delete it or choose a new folder.");
        throw new UserInputException($"{flag} {dir}: the folder holds files NodeMesh did not make; choose a new or empty folder so that nothing there is overwritten.");
    }

    /// <summary>
    /// Creates <paramref name="dir"/> (if needed) and claims it; false when another process claimed
    /// it first or it holds anything already.
    /// </summary>
    public static bool TryClaim(string dir, string what)
    {
        Directory.CreateDirectory(dir);
        try
        {
            using var marker = new FileStream(Path.Combine(dir, Marker), FileMode.CreateNew, FileAccess.Write);
            using var text = new StreamWriter(marker);
            text.WriteLine(what);
        }
        catch (IOException) when (File.Exists(Path.Combine(dir, Marker)))
        {
            return false;
        }
        // Claimed; a folder that held other files was not free (another tool wrote there meanwhile).
        if (Directory.EnumerateFileSystemEntries(dir).Count() > 1)
        {
            File.Delete(Path.Combine(dir, Marker));
            return false;
        }
        return true;
    }

    /// <summary>Claims <paramref name="dir"/> for a new run or sweep, or refuses it with a clear error.</summary>
    public static void Claim(string dir, string what, string flag = "--out")
    {
        CheckFree(dir, flag);
        bool claimed;
        try
        {
            claimed = TryClaim(dir, what);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{flag} {dir}: cannot create the folder ({e.Message}); choose another path.");
        }
        if (!claimed) throw new UserInputException($"{flag} {dir}: another run took this folder at the same moment; choose another.");
    }

    /// <summary>
    /// Claims a new folder <c>parent/name-xxxx</c> with a random 4-hex-digit suffix (another suffix
    /// when that one is taken) and returns its path.
    /// </summary>
    public static string ClaimUnique(string parent, string name, string what)
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            string dir = Suffixed(parent, name);
            try
            {
                if (TryClaim(dir, what)) return dir;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UserInputException($"cannot create a run folder under {Path.GetFullPath(parent)} ({e.Message}); give --out DIR.");
            }
        }
        throw new UserInputException($"could not find a free run folder name under {Path.GetFullPath(parent)}; give --out DIR.");
    }

    /// <summary><c>parent/name-xxxx</c> with a random 4-hex-digit suffix, not yet taken (for a command that claims it later).</summary>
    public static string NewName(string parent, string name)
    {
        while (true)
        {
            string dir = Suffixed(parent, name);
            if (!Path.Exists(dir)) return dir;
        }
    }

    /// <summary><c>parent/name-xxxx</c>, xxxx four random hex digits.</summary>
    private static string Suffixed(string parent, string name) =>
        Path.Combine(parent, $"{name}-{RandomNumberGenerator.GetHexString(4, lowercase: true)}");

    /// <summary>The default run folder name: time, strategy, device and seed (a suffix is added when it is claimed).</summary>
    public static string DefaultName(string strategy, string device, int seed, DateTime utc) =>
        string.Create(CultureInfo.InvariantCulture, $"{utc:yyyyMMdd-HHmmss}-{strategy}-{Safe(device)}-seed{seed}");

    /// <summary>A device name fit for a folder name: a JSON file's name without folder and extension.</summary>
    private static string Safe(string device)
    {
        string name = Path.GetFileNameWithoutExtension(device);
        return new string(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());
    }
}
