using LoraPipeline.Trainer.Checkpoints;

namespace LoraPipeline.Trainer.Training;

/// <summary>
/// One trainer per run folder: <c>run.lock</c> is held open exclusively for the run's lifetime (an
/// advisory lock the kernel drops when the process dies, even by SIGKILL), so a second start on the
/// same folder, such as a job delivered twice, fails at once instead of interleaving checkpoints.
/// </summary>
public sealed class RunLock : IDisposable
{
    public const string FileName = "run.lock";
    private readonly FileStream _stream;

    private RunLock(FileStream stream)
    {
        _stream = stream;
    }

    public static RunLock Acquire(string directory)
    {
        var path = Path.Combine(directory, FileName);
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            stream.SetLength(0);
            var pid = System.Text.Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n");
            stream.Write(pid);
            stream.Flush();
            return new RunLock(stream);
        }
        catch (IOException e)
        {
            throw new TrainerInputException($"{path}: another lora-train is running on this folder ({e.Message})", e);
        }
    }

    public void Dispose() => _stream.Dispose();
}
