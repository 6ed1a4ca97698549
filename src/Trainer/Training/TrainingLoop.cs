using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using LoraPipeline.Trainer.Checkpoints;
using LoraPipeline.Trainer.Data;
using LoraPipeline.Trainer.Lora;
using LoraPipeline.Trainer.Model;
using LoraPipeline.Trainer.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraPipeline.Trainer.Training;

public enum TrainingOutcome
{
    Completed,
    AlreadyCompleted,
    Interrupted,
}

public sealed record TrainingResult(TrainingOutcome Outcome, int Step, int TotalSteps, string? CheckpointPath);

/// <summary>
/// One training run from start (or the latest checkpoint) to the final adapter: frozen base, LoRA on the
/// target layers, AdamW on the LoRA weights only, linear warm-up then cosine decay, gradient clipping,
/// gradient accumulation over micro-batches, validation loss and perplexity at each epoch's end, a
/// progress line per optimiser step, checkpoints every N steps and at epoch ends, and a clean stop on
/// SIGTERM. On CPU a run is deterministic for a given seed, resumed or not.
/// </summary>
public sealed class TrainingLoop
{
    private const int CpuTokenBudget = 2048;
    private const int CudaTokenBudget = 8192;
    private readonly TrainingOptions _options;
    private readonly StopSignal _stop;
    private readonly TextWriter _console;

    public TrainingLoop(TrainingOptions options, StopSignal stop, TextWriter console)
    {
        _options = options;
        _stop = stop;
        _console = console;
    }

    public TrainingResult Run()
    {
        var o = _options;
        o.Validate();
        var output = o.OutputPath;
        Directory.CreateDirectory(output);
        if (RunOutputs.IsCompleted(output))
        {
            _console.WriteLine($"{output}: this run has already completed (metrics.json present); nothing to do");
            return new TrainingResult(TrainingOutcome.AlreadyCompleted, 0, 0, null);
        }

        using var runLock = RunLock.Acquire(output);
        TrainingCheckpoint.CleanTemporary(output);
        using var progress = new ProgressLog(output);
        try
        {
            return Train(progress);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            progress.Write("failed", w =>
            {
                w.WriteString("error", e.Message);
                w.WriteNumber("exit_code", e is TrainerInputException ? ExitCodes.InputError : ExitCodes.Failure);
            });
            throw;
        }
    }

    private TrainingResult Train(ProgressLog progress)
    {
        var o = _options;
        var clock = Stopwatch.StartNew();
        var device = o.Device == "cuda" ? CudaDevice() : torch.CPU;
        var dtype = o.Device == "cuda" ? ScalarType.BFloat16 : ScalarType.Float32;

        var tokenizer = TextTokenizer.Load(o.BaseModelPath);
        var format = ChatFormat.Detect(o.BaseModelPath, tokenizer, o.ChatFormat);
        var renderer = new ChatRenderer(tokenizer, format);
        var examples = ValidationSplitter.Apply(DatasetReader.Read(o.DataPath, o.DatasetFormat), o.ValidationSplit, o.Seed);
        if (o.ValidationDataPath is { } validationPath)
        {
            examples = [.. examples, .. DatasetReader.Read(validationPath, o.DatasetFormat).Select(e => e with { IsValidation = true })];
        }

        var data = PreparedData.Build(examples, renderer, o.MaxSeqLen);
        if (data.Train.Count == 0)
        {
            throw new TrainerInputException($"{o.DataPath}: no training examples (every line has \"split\": \"validation\")");
        }

        var stepsPerEpoch = DataOrder.StepsPerEpoch(data.Train.Count, o.BatchSize);
        var totalSteps = stepsPerEpoch * o.Epochs;
        var microBatch = o.MicroBatchSize ?? Math.Clamp((o.Device == "cuda" ? CudaTokenBudget : CpuTokenBudget) / Math.Max(1, data.Train.Max(e => e.Length)), 1, o.BatchSize);
        var schedule = new LrSchedule(o.LearningRate, o.WarmupSteps, totalSteps);
        var fingerprint = RunFingerprint.Of(o);
        var baseName = o.BaseModelName ?? o.BaseModelPath;

        _console.WriteLine($"tokenizer: {tokenizer.Description}; chat format {ChatFormat.Name(format.Family)} (from {format.Reason})");
        _console.WriteLine($"data: {data.Train.Count} training and {data.Validation.Count} validation examples, {data.Truncated} truncated to {o.MaxSeqLen} tokens");
        using var model = BaseModelLoader.Load(o.BaseModelPath, device, dtype, _console);
        _console.WriteLine($"model: {model.Config}");
        using var generator = new Generator((ulong)o.Seed, device);
        model.Lora.Generator = generator;
        var settings = o.Lora;
        var adapted = settings.Attach(model, generator);
        var parameters = TrainingCheckpoint.Parameters(adapted);
        _console.WriteLine($"LoRA r={o.Rank} alpha={o.Alpha} dropout={o.Dropout} on {string.Join(",", settings.ResolvedTargets())}: {parameters.Sum(p => p.numel()):N0} trainable parameters; {totalSteps} steps of {o.BatchSize} examples (micro-batches of {microBatch})");
        using var optimizer = new AdamW(parameters, o.WeightDecay);

        var step = 0;
        var elapsedBefore = 0.0;
        long tokensTrained = 0;
        double? lastLoss = null;
        double? lastValidation = null;
        var attempt = RunOutputs.NextAttempt(output: o.OutputPath);
        if (TrainingCheckpoint.Latest(o.OutputPath) is var (checkpointPath, state))
        {
            if (state.Fingerprint != fingerprint)
            {
                throw new TrainerInputException($"{o.OutputPath}: holds a run with different settings, data or base model (checkpoint {Path.GetFileName(checkpointPath)}); use a new output folder");
            }

            TrainingCheckpoint.Restore(checkpointPath, adapted, optimizer, state.OptimizerSteps);
            using (var saved = torch.tensor(state.GeneratorState, dtype: ScalarType.Byte))
            {
                generator.set_state(saved);
            }

            (step, elapsedBefore, tokensTrained, lastLoss, lastValidation) = (state.Step, state.ElapsedSeconds, state.TokensTrained, state.TrainingLoss, state.ValidationLoss);
            progress.Write("resumed", w =>
            {
                w.WriteNumber("step", step);
                w.WriteNumber("total_steps", totalSteps);
                w.WriteNumber("attempt", attempt);
                w.WriteString("checkpoint", TrainingCheckpoint.RelativePath(step));
            });
            _console.WriteLine($"resumed from {TrainingCheckpoint.RelativePath(step)} (attempt {attempt})");
        }
        else
        {
            RunOutputs.WriteTrainingArgs(o, tokenizer, format, data, totalSteps, stepsPerEpoch, microBatch, model.Config);
            progress.Write("started", w =>
            {
                w.WriteNumber("step", 0);
                w.WriteNumber("total_steps", totalSteps);
                w.WriteNumber("attempt", attempt);
                w.WriteNumber("train_examples", data.Train.Count);
                w.WriteNumber("validation_examples", data.Validation.Count);
                w.WriteNumber("examples_truncated", data.Truncated);
            });
        }

        var attemptStart = clock.Elapsed.TotalSeconds;
        var stepsThisAttempt = 0;
        var generatorAtStepStart = generator.get_state();
        try
        {
            while (step < totalSteps)
            {
                if (_stop.IsRequested)
                {
                    return Interrupt(step, totalSteps, generatorAtStepStart);
                }

                var next = step + 1;
                var epoch = ((next - 1) / stepsPerEpoch) + 1;
                var stepClock = Stopwatch.StartNew();
                generatorAtStepStart.Dispose();
                generatorAtStepStart = generator.get_state();
                var batch = DataOrder.Batch(data.Train.Count, o.BatchSize, o.Seed, next).Select(i => data.Train[i]).ToList();
                var (loss, tokens, abandoned) = ForwardBackward(model, batch, microBatch);
                if (abandoned)
                {
                    optimizer.ZeroGrad();
                    return Interrupt(step, totalSteps, generatorAtStepStart);
                }

                var norm = optimizer.ClipGradients(o.MaxGradNorm);
                var lr = schedule.At(next);
                if (loss is not null)
                {
                    optimizer.Step(lr);
                }

                optimizer.ZeroGrad();
                HeapTrim.AfterStep();
                step = next;
                stepsThisAttempt++;
                tokensTrained += tokens;
                lastLoss = loss ?? lastLoss;
                var stepSeconds = stepClock.Elapsed.TotalSeconds;
                var elapsed = elapsedBefore + (clock.Elapsed.TotalSeconds - attemptStart);
                var eta = (clock.Elapsed.TotalSeconds - attemptStart) / stepsThisAttempt * (totalSteps - step);
                var withinEpoch = step - ((epoch - 1) * stepsPerEpoch);
                progress.Write("step", w =>
                {
                    w.WriteNumber("step", step);
                    w.WriteNumber("total_steps", totalSteps);
                    w.WriteNumber("epoch", epoch);
                    w.WriteNumber("epoch_progress", Math.Round(withinEpoch / (double)stepsPerEpoch, 6));
                    WriteNullable(w, "training_loss", loss);
                    w.WriteNumber("learning_rate", lr);
                    w.WriteNumber("gradient_norm", norm);
                    w.WriteNumber("tokens_per_second", Math.Round(tokens / Math.Max(stepSeconds, 1e-9), 2));
                    w.WriteNumber("elapsed_seconds", Math.Round(elapsed, 3));
                    w.WriteNumber("eta_seconds", Math.Round(eta, 3));
                });
                _console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"step {step}/{totalSteps} epoch {epoch} loss {loss:F4} lr {lr:E2} grad-norm {norm:F3} {tokens / Math.Max(stepSeconds, 1e-9):F0} tok/s eta {eta:F0}s"));

                var epochEnd = withinEpoch == stepsPerEpoch;
                if (epochEnd && data.Validation.Count > 0)
                {
                    lastValidation = Validation.Loss(model, data.Validation, microBatch);
                    var validation = lastValidation.Value;
                    progress.Write("epoch_end", w =>
                    {
                        w.WriteNumber("step", step);
                        w.WriteNumber("epoch", epoch);
                        w.WriteNumber("validation_loss", validation);
                        w.WriteNumber("validation_perplexity", Math.Exp(validation));
                    });
                    _console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"epoch {epoch}: validation loss {validation:F4}, perplexity {Math.Exp(validation):F3}"));
                }

                if (epochEnd || (o.CheckpointEvery > 0 && step % o.CheckpointEvery == 0))
                {
                    using var current = generator.get_state();
                    SaveCheckpoint(model, adapted, optimizer, current, step, epoch, elapsed, tokensTrained, lastLoss, epochEnd ? lastValidation : null);
                }
            }
        }
        finally
        {
            generatorAtStepStart.Dispose();
        }

        var duration = elapsedBefore + (clock.Elapsed.TotalSeconds - attemptStart);
        var metrics = RunOutputs.WriteFinal(o, model, settings, baseName, data, step, tokensTrained, duration, lastLoss, lastValidation);
        progress.Write("completed", w =>
        {
            w.WriteNumber("step", step);
            w.WriteNumber("total_steps", totalSteps);
            w.WriteNumber("epoch", o.Epochs);
            foreach (var (key, value) in metrics)
            {
                if (key is "step" or "total_steps" or "epochs")
                {
                    continue;
                }

                w.WritePropertyName(key);
                if (value is null)
                {
                    w.WriteNullValue();
                }
                else
                {
                    value.WriteTo(w);
                }
            }
        });
        _console.WriteLine($"done: adapter in {o.OutputPath}");
        return new TrainingResult(TrainingOutcome.Completed, step, totalSteps, null);

        TrainingResult Interrupt(int completedStep, int total, Tensor generatorState)
        {
            var epoch = Math.Max(1, ((Math.Max(completedStep, 1) - 1) / stepsPerEpoch) + 1);
            var existing = TrainingCheckpoint.Latest(o.OutputPath);
            string path;
            if (existing is { } e && e.State.Step == completedStep)
            {
                path = TrainingCheckpoint.RelativePath(completedStep);
            }
            else
            {
                var elapsedNow = elapsedBefore + (clock.Elapsed.TotalSeconds - attemptStart);
                path = SaveCheckpoint(model, adapted, optimizer, generatorState, completedStep, epoch, elapsedNow, tokensTrained, lastLoss, null);
            }

            progress.Write("interrupted", w =>
            {
                w.WriteNumber("step", completedStep);
                w.WriteNumber("total_steps", total);
                w.WriteNumber("epoch", epoch);
                w.WriteString("signal", _stop.Reason);
                w.WriteString("checkpoint", path);
                w.WriteNumber("exit_code", ExitCodes.Interrupted);
            });
            _console.WriteLine($"interrupted by {_stop.Reason}: checkpoint {path} saved; run the same command again to resume");
            return new TrainingResult(TrainingOutcome.Interrupted, completedStep, total, path);
        }

        string SaveCheckpoint(LlamaModel m, IReadOnlyList<Projection> a, AdamW opt, Tensor generatorState, int atStep, int epoch, double elapsed, long tokens, double? loss, double? validation)
        {
            var state = new TrainerState
            {
                Step = atStep,
                Epoch = epoch,
                TotalSteps = totalSteps,
                StepsPerEpoch = stepsPerEpoch,
                OptimizerSteps = opt.StepCount,
                LearningRate = atStep == 0 ? 0 : schedule.At(atStep),
                ElapsedSeconds = elapsed,
                TokensTrained = tokens,
                TrainingLoss = loss,
                ValidationLoss = validation,
                Fingerprint = fingerprint,
                GeneratorState = generatorState.bytes.ToArray(),
                Seed = o.Seed,
            };
            var relative = TrainingCheckpoint.Save(o.OutputPath, m, settings, baseName, a, opt, state, o.KeepCheckpoints);
            progress.Write("checkpoint", w =>
            {
                w.WriteNumber("step", atStep);
                w.WriteNumber("epoch", epoch);
                w.WriteString("path", relative);
            });
            return relative;
        }
    }

    /// <summary>
    /// Forward and backward over the batch's micro-batches, each loss divided by the whole batch's weight
    /// so the accumulated gradient is the batch mean's. Stops early (abandoned) if a stop was requested.
    /// </summary>
    private (double? Loss, long Tokens, bool Abandoned) ForwardBackward(LlamaModel model, List<TokenizedExample> batch, int microBatch)
    {
        var totalWeight = batch.Sum(e => e.Weights.Skip(1).Sum(w => (double)w));
        model.Lora.Training = true;
        double lossSum = 0;
        long tokens = 0;
        for (var start = 0; start < batch.Count; start += microBatch)
        {
            if (_stop.IsRequested)
            {
                return (null, tokens, true);
            }

            using var scope = torch.NewDisposeScope();
            var part = batch.GetRange(start, Math.Min(microBatch, batch.Count - start));
            var (sum, weight, count) = BatchLoss.Compute(model, part);
            tokens += count;
            if (weight > 0)
            {
                var scaled = sum.div(totalWeight);
                scaled.backward();
                lossSum += sum.to_type(ScalarType.Float64).item<double>();
            }
        }

        return (totalWeight > 0 ? lossSum / totalWeight : null, tokens, false);
    }

    private static Device CudaDevice()
    {
        if (!torch.cuda.is_available())
        {
            throw new TrainerInputException("--device cuda: CUDA is not available (this build uses libtorch-cpu; see README \"GPU nodes\")");
        }

        return torch.CUDA;
    }

    private static void WriteNullable(System.Text.Json.Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
