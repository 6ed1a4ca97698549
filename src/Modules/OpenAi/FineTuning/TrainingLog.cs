using System.Globalization;
using System.Text;
using LoraPipeline.OpenAi.Files;
using LoraPipeline.Training.Contracts;

namespace LoraPipeline.OpenAi.FineTuning;

/// <summary>
/// A job's result file as OpenAI gives one: a CSV of its step metrics (step, epoch, train_loss, valid_loss,
/// learning_rate), built from the job's history on each read.
/// </summary>
internal sealed record TrainingLog(FileObject File, byte[] Content)
{
    public static async Task<TrainingLog?> FindAsync(Guid userId, Guid jobId, ITrainingJobCommands jobs, CancellationToken ct)
    {
        var job = await jobs.FindAsync(userId, jobId, ct);
        var timeline = job is null ? null : await jobs.TimelineAsync(userId, jobId, ct);
        if (job is null || timeline is null)
        {
            return null;
        }

        var csv = new StringBuilder("step,epoch,train_loss,valid_loss,learning_rate\n");
        foreach (var p in timeline.Select(e => e.Metrics).OfType<MetricPoint>())
        {
            csv.Append(CultureInfo.InvariantCulture, $"{p.Step},{p.Epoch},{p.TrainingLoss},{p.ValidationLoss},{p.LearningRate}\n");
        }

        var content = Encoding.UTF8.GetBytes(csv.ToString());
        var file = new FileObject(
            OpenAiIds.ForResultFile(jobId), content.Length, OpenAiIds.Unix(job.CompletedAt ?? job.CreatedAt),
            $"step_metrics_{jobId:N}.csv", FileObject.FineTuneResults, "processed", null, null);
        return new TrainingLog(file, content);
    }
}
