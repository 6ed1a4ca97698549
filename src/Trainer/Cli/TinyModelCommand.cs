using LoraPipeline.Trainer.Data;
using LoraPipeline.Trainer.Native;
using LoraPipeline.Trainer.TinyModel;

namespace LoraPipeline.Trainer.Cli;

/// <summary><c>lora-train tiny-model DIR</c>: a small random checkpoint with a real tokenizer.</summary>
internal static class TinyModelCommand
{
    public const string Usage = """
        usage: lora-train tiny-model DIR [options]
          --architecture llama|mistral   default llama
          --layers N --hidden N --heads N --kv-heads N --intermediate N   default 2, 64, 4, 2, 176
          --merges N               BPE merges of the tokenizer, default 400
          --rope-theta X           default 10000
          --llama3-rope-scaling    add Llama 3.1 rope_scaling (factor 8, low 1, high 4, original 64)
          --tie-embeddings         lm_head shares the embedding matrix
          --sliding-window N       (mistral) sliding-window attention span
          --dtype f32|bf16|f16     stored dtype, default f32
          --shards N               split the weights into N files with model.safetensors.index.json
          --chat-format NAME       llama3 (default), chatml, llama2 or mistral: chat template and special tokens
          --tokenizer bpe|sentencepiece  byte-level BPE tokenizer.json (default) or a SentencePiece tokenizer.model
                                   (Llama 2 / Mistral style; use with --chat-format llama2 or mistral)
          --seed N                 default 1234
        """;

    public static int Run(string[] args)
    {
        var a = Arguments.Parse(
            "tiny-model",
            args,
            ["architecture", "layers", "hidden", "heads", "kv-heads", "intermediate", "merges", "rope-theta", "sliding-window", "dtype", "shards", "chat-format", "seed", "max-position-embeddings", "tokenizer"],
            ["llama3-rope-scaling", "tie-embeddings"]);
        var directory = a.Single("output folder");
        var defaults = new TinyModelOptions();
        var options = new TinyModelOptions
        {
            Architecture = a.Text("architecture") ?? defaults.Architecture,
            Layers = a.Int("layers") ?? defaults.Layers,
            Hidden = a.Int("hidden") ?? defaults.Hidden,
            Heads = a.Int("heads") ?? defaults.Heads,
            KvHeads = a.Int("kv-heads") ?? defaults.KvHeads,
            Intermediate = a.Int("intermediate"),
            Merges = a.Int("merges") ?? defaults.Merges,
            RopeTheta = a.Double("rope-theta") ?? defaults.RopeTheta,
            Llama3RopeScaling = a.Flag("llama3-rope-scaling"),
            TieEmbeddings = a.Flag("tie-embeddings"),
            SlidingWindow = a.Int("sliding-window"),
            DType = a.Text("dtype") ?? defaults.DType,
            Shards = a.Int("shards") ?? defaults.Shards,
            ChatFormat = a.Text("chat-format") is { } f ? ChatFormat.ParseFamily(f) : defaults.ChatFormat,
            Seed = a.Long("seed") ?? defaults.Seed,
            MaxPositionEmbeddings = a.Int("max-position-embeddings") ?? defaults.MaxPositionEmbeddings,
            Tokenizer = a.Text("tokenizer") ?? defaults.Tokenizer,
        };
        TorchRuntime.Initialize(1);
        var config = TinyModelWriter.Write(directory, options);
        Console.WriteLine($"{directory}: {config}");
        return ExitCodes.Success;
    }
}
