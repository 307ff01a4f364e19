using SeqLab.Tasks;

namespace SeqLab.Tests;

/// <summary>The kinds of model and data as registries: a registration adds a name, refuses a taken one and is undone by disposing it.</summary>
public class KindRegistryTests
{
    [Fact]
    public void A_registered_kind_is_found_until_its_registration_is_disposed_and_a_taken_name_is_refused()
    {
        var registry = new KindRegistry<string>("thing.type", name => name, ["lstm", "gru"]);
        Assert.Equal(0, registry.Version);
        var registration = registry.Register("tiny");
        Assert.Equal(["lstm", "gru", "tiny"], registry.All);
        Assert.Equal("tiny", registry.Find("tiny"));
        Assert.Equal(1, registry.Version);
        var taken = Assert.Throws<ArgumentException>(() => registry.Register("gru"));
        Assert.Contains("thing.type: a kind named 'gru' is registered already", taken.Message);
        Assert.Equal(1, registry.Version);
        registration.Dispose();
        registration.Dispose(); // twice is once
        Assert.Null(registry.Find("tiny"));
        Assert.Equal(["lstm", "gru"], registry.All);
        Assert.Equal(2, registry.Version);
    }
}
