using System.Runtime.ExceptionServices;
using System.Threading.Channels;

namespace LoraPipeline.Datasets.Validation;

/// <summary>
/// Reads line batches on one task, processes them on several workers, and merges the results on the calling
/// task strictly in file order. At most <c>2 × workers + 2</c> batches exist at any time (read, queued,
/// processed or waiting for their turn to merge), which bounds memory however large the file is.
/// </summary>
internal static class OrderedBatchPipeline
{
    /// <param name="createWorker">Makes the per-worker state (a checker with its own tokenizer, buffers, partial statistics).</param>
    /// <param name="process">Runs on a worker thread; the batch's buffer is reused as soon as it returns.</param>
    /// <param name="merge">Runs on the calling task, once per batch, in file order.</param>
    /// <returns>The workers, for their partial results.</returns>
    public static async Task<IReadOnlyList<TWorker>> RunAsync<TWorker, TResult>(
        LineBatchReader reader,
        BufferPool pool,
        int workerCount,
        Func<TWorker> createWorker,
        Func<TWorker, LineBatch, TResult> process,
        Func<TResult, CancellationToken, ValueTask> merge,
        CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workerCount, 1);
        var workers = Enumerable.Range(0, workerCount).Select(_ => createWorker()).ToArray();
        var maxBatchesInFlight = 2 * workerCount + 2;

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var freeSlots = new SemaphoreSlim(maxBatchesInFlight, maxBatchesInFlight);
        var batches = Channel.CreateUnbounded<LineBatch>(new UnboundedChannelOptions { SingleWriter = true });
        var results = Channel.CreateUnbounded<(long Sequence, TResult Result)>(new UnboundedChannelOptions { SingleReader = true });

        var reading = Task.Run(() => ReadAsync(reader, freeSlots, batches.Writer, stop), CancellationToken.None);
        var processing = ProcessAllAsync(workers, batches.Reader, process, pool, results.Writer, stop);

        Exception? mergeFailure = null;
        try
        {
            await MergeInOrderAsync(results.Reader, merge, freeSlots, stop.Token);
        }
        catch (Exception exception)
        {
            mergeFailure = exception;
            await stop.CancelAsync();
        }

        // Never return while a task still touches the stream or the buffers. A failure in reading or processing
        // is the root cause of the merge loop's cancellation, so it is the one reported.
        await Task.WhenAll(reading, processing).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var failure = RootFailure(reading) ?? RootFailure(processing) ?? mergeFailure;
        if (failure is not null)
        {
            ExceptionDispatchInfo.Throw(failure);
        }

        return workers;
    }

    private static async Task ReadAsync(LineBatchReader reader, SemaphoreSlim freeSlots, ChannelWriter<LineBatch> batches, CancellationTokenSource stop)
    {
        try
        {
            while (true)
            {
                await freeSlots.WaitAsync(stop.Token);
                var batch = await reader.ReadBatchAsync(stop.Token);
                if (batch is null)
                {
                    break;
                }

                batches.TryWrite(batch); // unbounded: the slots are the bound
            }
        }
        catch
        {
            await stop.CancelAsync();
            throw;
        }
        finally
        {
            batches.TryComplete();
        }
    }

    private static async Task ProcessAllAsync<TWorker, TResult>(
        TWorker[] workers,
        ChannelReader<LineBatch> batches,
        Func<TWorker, LineBatch, TResult> process,
        BufferPool pool,
        ChannelWriter<(long Sequence, TResult Result)> results,
        CancellationTokenSource stop)
    {
        try
        {
            await Task.WhenAll(workers.Select(worker => Task.Run(() => ProcessAsync(worker), CancellationToken.None)));
        }
        finally
        {
            results.TryComplete();
        }

        async Task ProcessAsync(TWorker worker)
        {
            try
            {
                await foreach (var batch in batches.ReadAllAsync(stop.Token))
                {
                    var result = process(worker, batch);
                    pool.Return(batch.Buffer);
                    results.TryWrite((batch.Sequence, result));
                }
            }
            catch
            {
                await stop.CancelAsync();
                throw;
            }
        }
    }

    private static async Task MergeInOrderAsync<TResult>(
        ChannelReader<(long Sequence, TResult Result)> results,
        Func<TResult, CancellationToken, ValueTask> merge,
        SemaphoreSlim freeSlots,
        CancellationToken ct)
    {
        // Results arrive in completion order; they wait here until every earlier batch has been merged.
        var waiting = new Dictionary<long, TResult>();
        long next = 0;
        await foreach (var (sequence, result) in results.ReadAllAsync(ct))
        {
            waiting.Add(sequence, result);
            while (waiting.Remove(next, out var ready))
            {
                await merge(ready, ct);
                next++;
                freeSlots.Release();
            }
        }

        if (waiting.Count > 0)
        {
            throw new InvalidOperationException($"Batch {next} never arrived; {waiting.Count} later batches could not be merged.");
        }
    }

    private static Exception? RootFailure(Task task) =>
        task.Exception?.InnerExceptions.FirstOrDefault(e => e is not OperationCanceledException);
}
