using System.Runtime.InteropServices;

namespace LoraPipeline.Trainer.Training;

/// <summary>
/// SIGTERM (what Slurm sends on preemption, time limit or scancel) and SIGINT (Ctrl+C) ask the run to
/// stop: the loop notices between micro-batches, saves a checkpoint and exits with code 75. The signal's
/// default action (terminate at once) is cancelled so that the checkpoint can be written.
/// </summary>
public sealed class StopSignal : IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = [];
    private volatile string? _reason;

    public bool IsRequested => _reason is not null;

    public string? Reason => _reason;

    public static StopSignal ListenToProcessSignals()
    {
        var signal = new StopSignal();
        foreach (var s in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT })
        {
            signal._registrations.Add(PosixSignalRegistration.Create(s, context =>
            {
                context.Cancel = true;
                signal.Request(s == PosixSignal.SIGTERM ? "SIGTERM" : "SIGINT");
            }));
        }

        return signal;
    }

    public void Request(string reason) => _reason ??= reason;

    public void Dispose()
    {
        foreach (var r in _registrations)
        {
            r.Dispose();
        }
    }
}
