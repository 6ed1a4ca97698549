using System.Text.Json;
using LoraPipeline.Trainer.Tests.Support;
using LoraPipeline.Trainer.Training;

namespace LoraPipeline.Trainer.Tests;

/// <summary>A weight-0 message contributes no loss: rewriting its text must not change training at all.</summary>
public class WeightZeroTests
{
    [Fact]
    public void changing_the_text_of_a_weight_0_message_leaves_the_loss_unchanged()
    {
        using var folder = new TempFolder();
        var original = Train(folder, "original", ignoredReply: "Paris, of course.", trainedReply: "Paris");
        var rewritten = Train(folder, "rewritten", ignoredReply: "Something entirely different, and much longer than before!", trainedReply: "Paris");
        var control = Train(folder, "control", ignoredReply: "Paris, of course.", trainedReply: "Lyon");

        Assert.Equal(original.Count, rewritten.Count);
        for (var i = 0; i < original.Count; i++)
        {
            Assert.True(Math.Abs(original[i] - rewritten[i]) <= 1e-5 * Math.Abs(original[i]), $"step {i + 1}: {original[i]} vs {rewritten[i]}");
        }

        // the same edit on a trained message does change it, so the comparison above can fail
        Assert.True(Math.Abs(original[0] - control[0]) > 1e-3, $"{original[0]} vs {control[0]}");
    }

    private static List<double> Train(TempFolder folder, string name, string ignoredReply, string trainedReply)
    {
        var data = folder.Combine($"{name}.jsonl");
        using (var writer = new StreamWriter(data))
        {
            foreach (var (country, capital) in Capitals.Pairs.Take(6))
            {
                var reply = country == "France" ? trainedReply : capital;
                writer.WriteLine(JsonSerializer.Serialize(new
                {
                    messages = new object[]
                    {
                        new { role = "user", content = Capitals.Question(country) },
                        new { role = "assistant", content = reply },
                        new { role = "user", content = "Are you sure?" },
                        new { role = "assistant", content = country == "France" ? ignoredReply : "Yes.", weight = 0 },
                    },
                }));
            }
        }

        var output = folder.Combine(name);
        var options = new TrainingOptions
        {
            BaseModelPath = TinyModels.Default,
            DataPath = data,
            OutputPath = output,
            Epochs = 2,
            BatchSize = 3,
            MicroBatchSize = 1,
            LearningRate = 5e-3,
            // dropout draws a mask per token, so sequences of other lengths would get other masks
            Dropout = 0,
            CheckpointEvery = 0,
        };
        using var stop = new StopSignal();
        new TrainingLoop(options, stop, TextWriter.Null).Run();
        return ProgressFile.OfType(output, "step").Select(l => l.GetProperty("training_loss").GetDouble()).ToList();
    }
}
