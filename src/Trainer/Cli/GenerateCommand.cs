using LoraPipeline.Trainer.Checkpoints;
using LoraPipeline.Trainer.Data;
using LoraPipeline.Trainer.Generation;
using LoraPipeline.Trainer.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraPipeline.Trainer.Cli;

/// <summary><c>lora-train generate</c>: greedy decoding with the chat format, with or without an adapter.</summary>
internal static class GenerateCommand
{
    public const string Usage = """
        usage: lora-train generate --base DIR [--adapter DIR] --prompt TEXT [options]
          --base DIR            the base checkpoint folder
          --adapter DIR         a PEFT LoRA adapter folder (a run folder or checkpoints/step-N); none: the base alone
          --prompt TEXT         the user message
          --system TEXT         an optional system message
          --max-new-tokens N    default 128
          --chat-format NAME    llama3, chatml, llama2, mistral or raw (default: from tokenizer_config.json)
          --device cpu|cuda     default cpu
          --threads N           libtorch threads
        Prints the reply (greedy: the most likely token each step, KV-cached).
        """;

    public static int Run(string[] args)
    {
        var a = Arguments.Parse("generate", args, ["base", "adapter", "prompt", "system", "max-new-tokens", "chat-format", "device", "threads"], []);
        var basePath = a.Required("base");
        var prompt = a.Required("prompt");
        TorchRuntime.Initialize(a.Int("threads"));
        if (a.Text("device") is { } d && d is not ("cpu" or "cuda"))
        {
            throw new TrainerInputException($"generate: device {d} is unknown (cpu or cuda)");
        }

        if (a.Text("device") == "cuda" && !torch.cuda.is_available())
        {
            throw new TrainerInputException("generate --device cuda: CUDA is not available (this build uses libtorch-cpu; see README \"GPU nodes\")");
        }

        var device = a.Text("device") == "cuda" ? torch.CUDA : torch.CPU;
        var dtype = a.Text("device") == "cuda" ? ScalarType.BFloat16 : ScalarType.Float32;
        var tokenizer = TextTokenizer.Load(basePath);
        var renderer = new ChatRenderer(tokenizer, ChatFormat.Detect(basePath, tokenizer, a.Text("chat-format")));
        using var model = BaseModelLoader.Load(basePath, device, dtype, Console.Error);
        if (a.Text("adapter") is { } adapter)
        {
            PeftAdapter.Load(adapter, model);
        }

        var messages = new List<ChatMessage>();
        if (a.Text("system") is { } system)
        {
            messages.Add(new ChatMessage("system", system));
        }

        messages.Add(new ChatMessage("user", prompt));
        var ids = renderer.RenderPrompt(messages);
        var output = GreedyDecoder.Generate(model, ids, [.. renderer.StopTokenIds], a.Int("max-new-tokens") ?? 128);
        Console.WriteLine(tokenizer.Decode(output));
        return ExitCodes.Success;
    }
}
