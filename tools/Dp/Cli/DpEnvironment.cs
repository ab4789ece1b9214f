namespace DomainPlatform.Dp.Cli;

/// <summary>What dp reads from the process it runs in, replaceable in tests: environment variables and the home folder.</summary>
public sealed record DpEnvironment(Func<string, string?> GetVariable, string HomeDirectory)
{
    public static DpEnvironment FromProcess() =>
        new(Environment.GetEnvironmentVariable, Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    public static DpEnvironment From(IReadOnlyDictionary<string, string> variables, string homeDirectory) =>
        new(name => variables.TryGetValue(name, out var value) ? value : null, homeDirectory);
}
