using System.Collections.Concurrent;
using LoraPipeline.Trainer.TinyModel;

namespace LoraPipeline.Trainer.Tests.Support;

/// <summary>Tiny checkpoints written once per test run and shared (read-only) by the tests that need them.</summary>
public static class TinyModels
{
    private static readonly ConcurrentDictionary<TinyModelOptions, Lazy<string>> Cache = new();
    private static readonly string Root = Path.Combine(Path.GetTempPath(), $"lora-train-tiny-{Environment.ProcessId}");

    /// <summary>The default tiny model: Llama, 2 layers, hidden 64, 4 heads / 2 KV heads, Llama 3 chat format.</summary>
    public static string Default => Get(new TinyModelOptions());

    public static string Get(TinyModelOptions options) =>
        Cache.GetOrAdd(options, o => new Lazy<string>(() =>
        {
            var dir = Path.Combine(Root, Guid.NewGuid().ToString("N"));
            TinyModelWriter.Write(dir, o);
            return dir;
        })).Value;
}
