using TorchSharp;

namespace LoraPipeline.Trainer.Native;

/// <summary>
/// Everything that must happen before the first TorchSharp call: the native-library fix for Debian 12
/// (see <see cref="ElfVersionPatch"/>) and the thread count.
/// </summary>
public static class TorchRuntime
{
    private const string LibraryName = "libLibTorchSharp.so";
    private const string MissingVersion = "GLIBCXX_3.4.32";
    private static readonly object Gate = new();
    private static bool _prepared;

    /// <summary>Patches the copies of libLibTorchSharp.so next to the running program; idempotent.</summary>
    public static void PrepareNativeLibrary()
    {
        lock (Gate)
        {
            if (_prepared || !OperatingSystem.IsLinux())
            {
                _prepared = true;
                return;
            }

            foreach (var candidate in Candidates())
            {
                try
                {
                    ElfVersionPatch.MakeWeak(candidate, MissingVersion);
                }
                catch (UnauthorizedAccessException e)
                {
                    // A read-only install: the library may have been patched once at install time.
                    Console.Error.WriteLine($"warning: cannot patch {candidate} ({e.Message}); if TorchSharp fails to load, see src/Trainer/README.md \"Native library\"");
                }
            }

            _prepared = true;
        }
    }

    /// <summary>Prepares the native library and sets libtorch's intra-op thread count.</summary>
    public static void Initialize(int? threads)
    {
        PrepareNativeLibrary();
        var count = threads ?? DefaultThreads();
        torch.set_num_threads(count);
    }

    /// <summary>One thread per core, at most 8; <c>LORA_TRAIN_THREADS</c> overrides.</summary>
    public static int DefaultThreads()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("LORA_TRAIN_THREADS");
        if (int.TryParse(fromEnvironment, out var n) && n > 0)
        {
            return n;
        }

        return Math.Clamp(Environment.ProcessorCount, 1, 8);
    }

    private static IEnumerable<string> Candidates()
    {
        var roots = new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(torch).Assembly.Location) ?? "" };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var root in roots.Where(r => r.Length > 0))
        {
            foreach (var path in new[] { Path.Combine(root, LibraryName), Path.Combine(root, "runtimes", "linux-x64", "native", LibraryName) })
            {
                var full = Path.GetFullPath(path);
                if (File.Exists(full) && seen.Add(full))
                {
                    yield return full;
                }
            }
        }
    }
}
