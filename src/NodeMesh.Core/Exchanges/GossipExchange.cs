using NodeMesh.Core.Tiles;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Units;

namespace NodeMesh.Core.Exchanges;

/// <summary>Where a gossip exchange's messages go; the actor behind it routes and counts them.</summary>
public interface IGossipOutbox
{
    /// <summary>Push: offers this unit's weights to a peer.</summary>
    void SendOffer(int toPosition, long round, float[] values);

    /// <summary>Pull: answers an offer with this unit's weights as they were before it mixed the offer in.</summary>
    void SendReply(int toPosition, float[] values);

    /// <summary>Refuses an offer because this unit is in an exchange of its own.</summary>
    void SendDecline(int toPosition);

    /// <summary>The emulated link-level notice that this unit's reply was lost (so the offerer stops waiting).</summary>
    void SendLost(int toPosition);

    /// <summary>A gossip message was lost on the emulated fabric (counted as dropped).</summary>
    void Dropped();
}

/// <summary>
/// One unit's side of asynchronous push-pull gossip, as a state object. A round is up to
/// <c>fanout</c> sequential exchanges with peers of the same map. While its own exchange is open
/// the unit changes no weight except by that exchange, so both ends of a pair average the same
/// two vectors; offers from other units meanwhile are declined (no waiting, hence no deadlock),
/// and two offers that cross are each taken as the other's answer. States: idle, or awaiting the
/// answer of one peer (<see cref="Awaiting"/>). Every random draw comes from the unit's own
/// seeded source, in a fixed order (peer choice, then one loss draw per message sent).
/// </summary>
public sealed class GossipExchange
{
    private readonly StrategyOptions _strategy;
    private readonly int _mapSize;
    private readonly int _position;
    private readonly int[] _candidates;
    private readonly Random _rng;
    private readonly int[] _roundPeers;
    private readonly ParityAnchor? _parity;
    private long _rounds;
    private int _roundCount, _roundNext;

    /// <summary>
    /// One unit's gossip; with <paramref name="parity"/> (step parity) the unit offers, answers and mixes
    /// its contribution a + N·(w − a) instead of its weights, and the mixed vector becomes its anchor.
    /// </summary>
    public GossipExchange(StrategyOptions strategy, int height, int width, int position, Random rng, ParityAnchor? parity = null)
    {
        _parity = parity;
        _strategy = strategy;
        _mapSize = height * width;
        _position = position;
        _rng = rng;
        _candidates = GossipPeers.Candidates(strategy.Topology, height, width, position);
        _roundPeers = new int[Math.Max(1, strategy.Fanout)];
    }

    /// <summary>True from <see cref="StartRound"/> until the round's last exchange ended.</summary>
    public bool InRound { get; private set; }

    /// <summary>The peer whose answer this unit waits for, or −1.</summary>
    public int Awaiting { get; private set; } = -1;

    /// <summary>Rounds started so far.</summary>
    public long Rounds => _rounds;

    /// <summary>Starts a round; returns true if it ended at once (every offer lost, or no peer).</summary>
    public bool StartRound(IWeightStore store, IGossipOutbox outbox)
    {
        if (InRound) throw new InvalidOperationException($"unit at position {_position} started a gossip round while one is open");
        _roundCount = GossipPeers.Choose(_strategy.Topology, _candidates, _mapSize, _position, _strategy.Fanout, _rounds++, _rng, _roundPeers);
        _roundNext = 0;
        InRound = true;
        return Next(store, outbox);
    }

    /// <summary>
    /// An offer from a peer; returns true if it ended this unit's round. A unit accepts an exchange
    /// only between steps: <paramref name="midStep"/> (its training forward pass done, its backward
    /// pass not yet) declines the offer, so that a step's input error and update use the weights of
    /// its forward pass.
    /// </summary>
    public bool OnOffer(int from, float[] values, IWeightStore store, IGossipOutbox outbox, bool midStep = false)
    {
        if (midStep)
        {
            outbox.SendDecline(from);
            PieceBuffers.Return(values); // the offer was this unit's to keep; declined, it is not needed
            return false;
        }
        if (Awaiting == from)
        {
            // Crossing offers: each side takes the other's offer as its answer.
            Mix(store, values);
            return Next(store, outbox);
        }
        if (Awaiting >= 0)
        {
            outbox.SendDecline(from);
            PieceBuffers.Return(values);
            return false;
        }
        var mine = Vector(store);
        Mix(store, values);
        if (_strategy.Drop > 0 && _rng.NextDouble() < _strategy.Drop)
        {
            outbox.Dropped();
            outbox.SendLost(from);
            PieceBuffers.Return(mine);
            return false;
        }
        outbox.SendReply(from, mine);
        return false;
    }

    /// <summary>The answer to this unit's offer (null values: declined or lost); returns true if it ended the round.</summary>
    public bool OnAnswer(int from, float[]? values, IWeightStore store, IGossipOutbox outbox)
    {
        if (Awaiting != from)
            throw new InvalidOperationException($"unit at position {_position} got a gossip answer from position {from} while waiting for {Awaiting}");
        if (values is not null) Mix(store, values);
        return Next(store, outbox);
    }

    private bool Next(IWeightStore store, IGossipOutbox outbox)
    {
        while (_roundNext < _roundCount)
        {
            int peer = _roundPeers[_roundNext++];
            if (_strategy.Drop > 0 && _rng.NextDouble() < _strategy.Drop)
            {
                outbox.Dropped(); // the offer is lost on the fabric: no exchange
                continue;
            }
            Awaiting = peer;
            outbox.SendOffer(peer, _rounds, Vector(store));
            return false;
        }
        Awaiting = -1;
        InRound = false;
        return true;
    }

    /// <summary>
    /// What this unit offers and mixes: its weights, or with step parity its contribution, in an
    /// array rented from <see cref="PieceBuffers"/>. An offer or reply has one owner, the unit it
    /// is sent to, which gives it back once mixed (or declined).
    /// </summary>
    private float[] Vector(IWeightStore store)
    {
        var v = PieceBuffers.Rent(store.Length);
        if (_parity is not null) _parity.Contribution(store.Read(), v);
        else store.Read().CopyTo(v);
        return v;
    }

    /// <summary>Mixes a peer's vector into this unit's weights; both arrays are given back (the store and the anchor keep copies).</summary>
    private void Mix(IWeightStore store, float[] peer)
    {
        if (_parity is null)
        {
            // The mix goes into the peer's array, which this unit owns: no copy of its own weights.
            GossipPeers.Mix(store.Read(), peer, _strategy.Mix, peer);
            store.ProgramTo(peer);
            PieceBuffers.Return(peer);
            return;
        }
        var w = Vector(store);
        GossipPeers.Mix(w, peer, _strategy.Mix);
        store.ProgramTo(w);
        _parity?.Agreed(w);
        PieceBuffers.Return(w);
        PieceBuffers.Return(peer);
    }
}
