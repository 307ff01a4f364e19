namespace SeqLab.Tests;

/// <summary>Where the repository and its shipped data are, seen from the test output folder.</summary>
static class TestPaths
{
    /// <summary>The folder holding Toolkit.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>A path under <c>data/</c>.</summary>
    public static string Data(params string[] parts) => Path.Combine([Root, "data", .. parts]);

    /// <summary>A file under the test project's TestData folder (copied to the output).</summary>
    public static string TestData(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", name);

    static string FindRoot()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Toolkit.sln"))) root = Path.GetDirectoryName(root) ?? throw new DirectoryNotFoundException("Toolkit.sln not found above the test output");
        return root;
    }

    /// <summary>Writes <paramref name="content"/> to a new temporary file named <paramref name="name"/>.</summary>
    public static string Scratch(string name, string content)
    {
        string path = Path.Combine(NativeFiles.TemporaryFolder(), name);
        File.WriteAllText(path, content);
        return path;
    }
}
