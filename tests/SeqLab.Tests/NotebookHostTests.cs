using SeqLab.Runtime;

namespace SeqLab.Tests;

/// <summary>
/// Notebooks load TorchSharp from the NuGet cache, not from an app folder with the natives beside it. F# Interactive
/// (<c>dotnet fsi</c>, part of the SDK) hosts assemblies the same way, so a script run there exercises the loader's
/// package-layout path in a fresh process.
/// </summary>
public class NotebookHostTests
{
    [Fact]
    public void A_script_host_that_references_the_TorchSharp_package_trains_through_the_loader()
    {
        string folder = NativeFiles.TemporaryFolder();
        string script = Path.Combine(folder, "notebook.fsx");
        string runtimeAssembly = typeof(TorchRuntime).Assembly.Location;
        File.WriteAllText(script, $$"""
            #r "nuget: TorchSharp-cpu, 0.107.0"
            #r "{{runtimeAssembly}}"
            let report = SeqLab.Runtime.TorchRuntime.EnsureLoaded()
            printfn "libtorch=%s" report.LibTorchDirectory
            printfn "libtorchsharp=%s" report.LibTorchSharpPath
            printfn "patched=%b" report.Patched
            printfn "torchsharp=%s" (System.IO.Path.GetDirectoryName(typeof<TorchSharp.torch>.Assembly.Location))
            let x = TorchSharp.torch.ones([| 3L; 4L |], requires_grad = true)
            let y = (x * x).sum()
            y.backward()
            printfn "grad=%.1f" (x.grad.sum().item<float32>())
            """);

        string output = NativeFiles.Run("dotnet", "fsi", "--quiet", script);

        Assert.Contains("grad=24.0", output);
        string libTorch = output.Split('\n').Single(l => l.StartsWith("libtorch=", StringComparison.Ordinal));
        Assert.Contains("libtorch-cpu-linux-x64", libTorch); // the package's own LibTorch, never a system one
        Assert.Contains($"patched={(TorchRuntime.EnsureLoaded().Patched ? "true" : "false")}", output);
        // TorchSharp's own fallback would have copied ≈ 480 MB of natives into a cpu/ folder beside its assembly.
        string torchSharpFolder = output.Split('\n').Single(l => l.StartsWith("torchsharp=", StringComparison.Ordinal))["torchsharp=".Length..].Trim();
        Assert.True(File.Exists(Path.Combine(torchSharpFolder, "TorchSharp.dll")), torchSharpFolder);
        Assert.False(Directory.Exists(Path.Combine(torchSharpFolder, "cpu")), "the loader should make TorchSharp's copy-to-cpu/ fallback unnecessary");
    }
}
