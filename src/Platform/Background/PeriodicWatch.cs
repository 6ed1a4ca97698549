using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LoraPipeline.Platform.Background;

/// <summary>
/// A background service that runs one round every <paramref name="interval"/> (none when it is zero
/// or less). A round that fails is logged and the next one tries again: a watch must outlive the
/// database hiccups it is there to make up for.
/// </summary>
public abstract class PeriodicWatch(TimeSpan interval, ILogger logger) : BackgroundService
{
    /// <summary>What a round looks for, for the log line of a failed round ("stalled validations").</summary>
    protected abstract string LooksFor { get; }

    protected abstract Task RunRoundAsync(CancellationToken ct);

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RunRoundAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Could not look for {LooksFor} this round", LooksFor);
            }
        }
    }
}
