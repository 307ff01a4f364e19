using System.Runtime.CompilerServices;
using SeqLab.Runtime;

[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]

namespace SeqLab.Tests;

/// <summary>Loads TorchSharp through SeqLab's loader before any test touches torch.</summary>
static class TorchFixture
{
    [ModuleInitializer]
    internal static void LoadTorch() => TorchRuntime.EnsureLoaded();
}
