namespace NodeMesh.Core.Strategies;

/// <summary>How the U×V copies of a kernel are tied.</summary>
public enum StrategyKind
{
    /// <summary>Locally connected: every unit learns from its own gradient; no weight traffic.</summary>
    None,
    /// <summary>Exact tying: the units of a map combine gradients (or average weights every F steps).</summary>
    AllReduce,
    /// <summary>Asynchronous approximate tying by pairwise weight averaging with peers.</summary>
    Gossip,
}

/// <summary>Communication topology of a map's tying group.</summary>
public enum TopologyKind { Star, Tree, Ring, Grid, Random, Exp }

/// <summary>How an all-reduce combines the gradients of a map.</summary>
public enum ReduceOp { Sum, Mean }

/// <summary>The weight-tying strategy of a run.</summary>
/// <param name="Kind">none | allreduce | gossip.</param>
/// <param name="Topology">star | tree | ring for all-reduce; grid | random | exp for gossip.</param>
/// <param name="Reduce">sum (default; equals a ConvNet at the same lr) or mean, for gradient tying.</param>
/// <param name="Every">Period F in steps: F = 1 ties gradients every step; F &gt; 1 averages weights every F steps.</param>
/// <param name="Fanout">Gossip peers per round.</param>
/// <param name="Mix">Gossip mixing weight a: w ← (1−a)·w + a·w_peer.</param>
/// <param name="Drop">Fraction of gossip messages lost (seeded).</param>
/// <param name="StepParity">Weight averaging (all-reduce F &gt; 1, gossip) combines the units' changes since the
/// last agreement by their sum, not their mean, so the map moves at a ConvNet's step (see <c>ParityAnchor</c>).</param>
public sealed record StrategyOptions(
    StrategyKind Kind = StrategyKind.None,
    TopologyKind Topology = TopologyKind.Star,
    ReduceOp Reduce = ReduceOp.Sum,
    int Every = 1,
    int Fanout = 1,
    float Mix = 0.5f,
    float Drop = 0f,
    bool StepParity = false)
{
    /// <summary>True when the conv units exchange gradients every step (all-reduce, F = 1).</summary>
    public bool TiesGradients => Kind == StrategyKind.AllReduce && Every == 1;

    /// <summary>True when the conv units average weights after <paramref name="step"/> (0-based).</summary>
    public bool AveragesWeightsAfter(long step) => Kind == StrategyKind.AllReduce && Every > 1 && (step + 1) % Every == 0;

    /// <summary>True when conv units contribute z = a + N·(w − a) to weight averaging (step parity).</summary>
    public bool AveragesAtParity => StepParity && (Kind == StrategyKind.Gossip || Kind == StrategyKind.AllReduce && Every > 1);

    public string Describe() => Kind switch
    {
        StrategyKind.None => "none",
        StrategyKind.AllReduce => $"allreduce/{Topology.ToString().ToLowerInvariant()}/{Reduce.ToString().ToLowerInvariant()}/every{Every}{(StepParity ? "/parity" : "")}",
        _ => $"gossip/{Topology.ToString().ToLowerInvariant()}/every{Every}/fanout{Fanout}/mix{Mix}{(StepParity ? "/parity" : "")}",
    };

    /// <summary>Checks the combination; throws <see cref="UserInputException"/> naming the setting and saying what to change.</summary>
    public StrategyOptions Validate()
    {
        if (Every < 1) throw new UserInputException($"{Every}: the period must be a whole number of steps >= 1.", SettingKeys.Every);
        if (Kind == StrategyKind.AllReduce && Topology is not (TopologyKind.Star or TopologyKind.Tree or TopologyKind.Ring))
            throw new UserInputException($"{Topology.ToString().ToLowerInvariant()} does not apply to allreduce; use star, tree or ring.", SettingKeys.Topology);
        if (Kind == StrategyKind.Gossip && Topology is not (TopologyKind.Grid or TopologyKind.Random or TopologyKind.Exp))
            throw new UserInputException($"{Topology.ToString().ToLowerInvariant()} does not apply to gossip; use grid, random or exp.", SettingKeys.Topology);
        if (Fanout < 1) throw new UserInputException($"{Fanout}: gossip needs at least one peer per round.", SettingKeys.Fanout);
        if (!(Mix > 0f && Mix <= 1f)) throw new UserInputException($"{Mix}: the mixing weight must be in (0, 1]; 0.5 is pairwise averaging.", SettingKeys.Mix);
        if (StepParity && Kind == StrategyKind.None)
            throw new UserInputException("none ties nothing, so there is no averaging to put at the ConvNet's step; use step parity with allreduce-everyF (F > 1) or gossip.", SettingKeys.StepParity);
        if (StepParity && Kind == StrategyKind.AllReduce && Every == 1)
            throw new UserInputException("allreduce at F = 1 already ties gradients exactly (a ConvNet's step); step parity applies to weight averaging: allreduce-everyF with F > 1, or gossip.", SettingKeys.StepParity);
        if (!(Drop >= 0f && Drop < 1f)) throw new UserInputException($"{Drop}: the drop fraction must be in [0, 1).", SettingKeys.GossipDrop);
        return this;
    }
}
