namespace NodeMesh.Core.Model;

/// <summary>
/// How the conv units' initial weights are drawn (<c>--unit-init</c>). Dense neurons always draw
/// their own weights with PyTorch's <c>nn.Linear</c> default. The numeric values travel in the
/// members' run spec; <see cref="Conv2d"/> is 1 so that the former boolean "independent" (true = 1)
/// keeps its meaning on the wire.
/// </summary>
public enum UnitInit
{
    /// <summary>
    /// One kernel and bias per map, PyTorch <c>nn.Conv2d</c>'s default distribution, copied to every
    /// position: every strategy starts from the same ConvNet.
    /// </summary>
    Tied = 0,

    /// <summary>
    /// PyTorch <c>nn.Conv2d</c>'s default drawn independently for every position: weights
    /// kaiming-uniform with a = √5 and bias uniform, both in ±1/√FanIn (FanIn = K²·C_in).
    /// </summary>
    Conv2d = 1,

    /// <summary>
    /// He-normal drawn independently for every position: weights N(0, 2/FanIn) (std √(2/FanIn),
    /// Kaiming-normal for ReLU, fan-in mode), biases 0.
    /// </summary>
    HeNormal = 2,
}
