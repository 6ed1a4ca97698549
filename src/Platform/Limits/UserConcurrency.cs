using System.Collections.Concurrent;

namespace LoraPipeline.Platform.Limits;

/// <summary>
/// How many things of a kind (uploads, live streams) each user has in progress on this node. A lease is taken
/// when one starts and given back when it ends, however it ends. Counted per node: on N nodes a user may have N
/// times the limit, which is the price of needing no shared counter that a crash could leave wrong.
/// </summary>
public sealed class UserConcurrency
{
    private readonly ConcurrentDictionary<(string Kind, Guid User), int> _inProgress = new();

    /// <summary>A lease, or null when the user already has <paramref name="max"/> in progress (0: no limit).</summary>
    public IDisposable? TryAcquire(string kind, Guid userId, int max)
    {
        var key = (kind, userId);
        while (true)
        {
            var current = _inProgress.GetOrAdd(key, 0);
            if (max > 0 && current >= max)
            {
                return null;
            }

            if (_inProgress.TryUpdate(key, current + 1, current))
            {
                return new Lease(this, key);
            }
        }
    }

    public int InProgress(string kind, Guid userId) => _inProgress.GetValueOrDefault((kind, userId));

    private void Release((string, Guid) key)
    {
        while (true)
        {
            var current = _inProgress[key];
            if (current <= 1 ? _inProgress.TryRemove(new KeyValuePair<(string, Guid), int>(key, current)) : _inProgress.TryUpdate(key, current - 1, current))
            {
                return;
            }
        }
    }

    private sealed class Lease(UserConcurrency owner, (string, Guid) key) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Release(key);
            }
        }
    }
}
