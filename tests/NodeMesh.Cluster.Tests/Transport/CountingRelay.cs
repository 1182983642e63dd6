using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using NodeMesh.Cluster.Transport;

namespace NodeMesh.Cluster.Tests.Transport;

/// <summary>
/// A TCP relay on loopback that forwards every connection to <c>target</c> and measures the TCP
/// stream independently of the adapter: bytes per direction, and the frames found by splitting
/// the stream at DotNetty's 4-byte little-endian length prefixes. It stands in for a packet
/// capture (which needs capture privileges) and sees exactly the TCP payload bytes.
/// </summary>
internal sealed class CountingRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private readonly Lock _lock = new();
    private readonly Stream _toTarget = new Stream(), _fromTarget = new Stream();
    private readonly Task _accepting;

    public CountingRelay(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>The port clients connect to.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Bytes and frames clients sent to the target, per key.</summary>
    public (long Bytes, Dictionary<string, FrameCount> Frames) ToTarget => _toTarget.Read(_lock);

    /// <summary>Bytes and frames the target sent back, per key.</summary>
    public (long Bytes, Dictionary<string, FrameCount> Frames) FromTarget => _fromTarget.Read(_lock);

    /// <summary>True when a stream contained a length prefix beyond the frame limit (the split went wrong).</summary>
    public bool Desynchronised => _toTarget.Desynchronised || _fromTarget.Desynchronised;

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
                var target = new TcpClient();
                await target.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token).ConfigureAwait(false);
                lock (_lock)
                {
                    _pumps.Add(PumpAsync(client, target, _toTarget));
                    _pumps.Add(PumpAsync(target, client, _fromTarget));
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // stopping
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to, Stream measure)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            var source = from.GetStream();
            var sink = to.GetStream();
            while (true)
            {
                int read = await source.ReadAsync(buffer, _stop.Token).ConfigureAwait(false);
                if (read == 0) break;
                // Count before forwarding: once forwarded, the receiver may count it and a test may look.
                lock (_lock) measure.Add(buffer.AsSpan(0, read));
                await sink.WriteAsync(buffer.AsMemory(0, read), _stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or IOException or SocketException)
        {
            // a side closed or the relay stops
        }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        Task[] pumps;
        lock (_lock) pumps = [.. _pumps];
        await Task.WhenAll([_accepting, .. pumps]).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <summary>One direction of the relayed traffic, split into frames as it arrives.</summary>
    private sealed class Stream
    {
        private const int MaxFrame = 16 * 1024 * 1024;
        private readonly List<byte> _pending = [];
        private readonly Dictionary<string, FrameCount> _frames = [];
        private long _bytes;

        public bool Desynchronised { get; private set; }

        public void Add(ReadOnlySpan<byte> data)
        {
            _bytes += data.Length;
            foreach (var b in data) _pending.Add(b);
            while (_pending.Count >= 4)
            {
                Span<byte> prefix = [_pending[0], _pending[1], _pending[2], _pending[3]];
                int length = BinaryPrimitives.ReadInt32LittleEndian(prefix); // Akka's default byte-order
                if (length < 0 || length > MaxFrame) { Desynchronised = true; _pending.Clear(); return; }
                if (_pending.Count < 4 + length) return;
                var frame = _pending.GetRange(4, length).ToArray();
                _pending.RemoveRange(0, 4 + length);
                var c = WireFrameClassifier.Classify(frame);
                _frames.TryGetValue(c.Key, out var total);
                _frames[c.Key] = total + new FrameCount(1, length + 4, c.PayloadBytes);
            }
        }

        public (long, Dictionary<string, FrameCount>) Read(Lock gate)
        {
            lock (gate) return (_bytes, new Dictionary<string, FrameCount>(_frames));
        }
    }
}
