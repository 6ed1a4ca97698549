using System.Runtime.CompilerServices;
using LoraPipeline.Trainer.Native;

namespace LoraPipeline.Trainer.Tests;

internal static class TestSetup
{
    /// <summary>
    /// Before any test touches TorchSharp: patch the test folder's libLibTorchSharp.so for Debian 12
    /// (see ElfVersionPatch) and use one libtorch thread, which keeps runs deterministic and steady when
    /// other builds share the machine's two cores.
    /// </summary>
    [ModuleInitializer]
    internal static void Initialize() => TorchRuntime.Initialize(1);
}
