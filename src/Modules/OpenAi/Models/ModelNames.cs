using LoraPipeline.Training.Contracts;

namespace LoraPipeline.OpenAi;

/// <summary>
/// Fine-tuned model names in OpenAI's pattern <c>ft:{base model}:{suffix}:{job}</c> (suffix <c>lora</c> when none
/// was given) and a checkpoint's <c>...:ckpt-step-{step}</c>; the job's id is the name's last part, so a name
/// leads back to its job and model.
/// </summary>
internal static class ModelNames
{
    public static string FineTuned(JobSnapshot job) => $"ft:{job.Hyperparameters.BaseModel}:{job.Extras.Suffix ?? "lora"}:{job.Id:N}";

    public static string Checkpoint(JobSnapshot job, int step) => $"{FineTuned(job)}:ckpt-step-{step}";

    public static bool TryParseJob(string name, out Guid jobId)
    {
        jobId = Guid.Empty;
        if (!name.StartsWith("ft:", StringComparison.Ordinal))
        {
            return false;
        }

        var last = name[(name.LastIndexOf(':') + 1)..];
        return Guid.TryParseExact(last, "N", out jobId);
    }
}
