namespace DomainPlatform.Platform.Tests;

/// <summary>Profile names, port bases and the topology table, checked before anything starts.</summary>
public sealed class ProfileTests
{
    [Theory]
    [InlineData("bad name")]
    [InlineData("-leading-dash")]
    [InlineData("semi;colon")]
    [InlineData("a-profile-name-that-is-far-too-long-for-a-database")]
    public async Task A_bad_profile_name_is_refused_with_a_reason(string profile)
    {
        var (code, _, stderr) = await Launcher.CommandAsync("status", "--profile", profile);

        Assert.Equal(1, code);
        Assert.Contains("is not valid", stderr);
    }

    [Theory]
    [InlineData("99")]
    [InlineData("65530")]
    [InlineData("51OO")]
    public async Task A_port_base_out_of_range_is_refused(string portBase)
    {
        var (code, _, stderr) = await Launcher.CommandAsync("up", "--no-build", "--profile", "bad-port-base", "--port-base", portBase);

        Assert.Equal(1, code);
        Assert.Contains("port base must be a number", stderr);
    }

    [Fact]
    public async Task An_unknown_command_or_option_is_named()
    {
        var unknownCommand = await Launcher.CommandAsync("frobnicate");
        var unknownOption = await Launcher.CommandAsync("down", "--everything");

        Assert.Equal(1, unknownCommand.Code);
        Assert.Contains("unknown command 'frobnicate'", unknownCommand.Stderr);
        Assert.Equal(1, unknownOption.Code);
        Assert.Contains("unknown option '--everything'", unknownOption.Stderr);
    }

    [Fact]
    public async Task Help_lists_every_command()
    {
        var (code, stdout, _) = await Launcher.CommandAsync("help");

        Assert.Equal(0, code);
        Assert.All(["up [-d]", "down", "status", "logs", "restart <name> [--kill]", "test", "infra", "up --processes"], command => Assert.Contains(command, stdout));
    }

    [Fact]
    public async Task The_topology_gives_every_service_distinct_ports_within_the_span()
    {
        var output = await Launcher.SourcedAsync("""
            for line in "${PLATFORM_SERVICES[@]}"; do read -r name project http grpc <<<"$line"; echo "$http $grpc"; done
            echo "span $PLATFORM_PORT_SPAN"
            """);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var span = int.Parse(lines[^1].Split(' ')[1]);
        var offsets = lines[..^1].SelectMany(line => line.Split(' ')).Where(value => value != "-").Select(int.Parse).ToList();

        Assert.Equal(7, lines.Length - 1); // gateway, five services, the console
        Assert.Equal(offsets.Count, offsets.Distinct().Count());
        Assert.All(offsets, offset => Assert.InRange(offset, 0, span - 1));
    }

    [Theory]
    [InlineData("/", "%2F")]
    [InlineData("e2e-a.b_c~d", "e2e-a.b_c~d")]
    [InlineData("a b&c", "a%20b%26c")]
    public async Task Vhost_names_are_url_encoded(string raw, string encoded)
    {
        Assert.Equal(encoded, await Launcher.SourcedAsync($"urlencode '{raw}'"));
    }
}
