using LoraPipeline.Trainer.Checkpoints;
using LoraPipeline.Trainer.Tests.Support;
using LoraPipeline.Trainer.Training;

namespace LoraPipeline.Trainer.Tests;

public class RunLockTests
{
    [Fact]
    public void a_second_trainer_on_a_busy_run_folder_is_refused()
    {
        using var folder = new TempFolder();
        var output = folder.Combine("run");
        Directory.CreateDirectory(output);
        using var held = RunLock.Acquire(output);
        var options = new TrainingOptions
        {
            BaseModelPath = TinyModels.Default,
            DataPath = Capitals.WriteDataset(folder.Combine("capitals.jsonl")),
            OutputPath = output,
            Epochs = 1,
        };
        using var stop = new StopSignal();

        var error = Assert.Throws<TrainerInputException>(() => new TrainingLoop(options, stop, TextWriter.Null).Run());

        Assert.Contains("another lora-train is running on this folder", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(output, "progress.jsonl")));
    }
}
