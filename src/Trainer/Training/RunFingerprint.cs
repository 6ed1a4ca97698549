using System.Security.Cryptography;
using System.Text;

namespace LoraPipeline.Trainer.Training;

/// <summary>
/// What a checkpoint must match to be resumed: the determining settings, the dataset's (and validation dataset's) SHA-256, the base
/// model's config.json and its weight files' names and sizes (content, not paths).
/// </summary>
public static class RunFingerprint
{
    public static string Of(TrainingOptions o)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(o.DeterminingSettings().ToJsonString()));
        using (var data = File.OpenRead(o.DataPath))
        {
            sha.AppendData(SHA256.HashData(data));
        }

        if (o.ValidationDataPath is { } validationPath)
        {
            using var validation = File.OpenRead(validationPath);
            sha.AppendData(SHA256.HashData(validation)); // only when set, so runs without one keep their fingerprint
        }

        sha.AppendData(File.ReadAllBytes(Path.Combine(o.BaseModelPath, "config.json")));
        foreach (var file in Directory.EnumerateFiles(o.BaseModelPath, "*.safetensors").Order(StringComparer.Ordinal))
        {
            sha.AppendData(Encoding.UTF8.GetBytes($"{Path.GetFileName(file)}:{new FileInfo(file).Length};"));
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
