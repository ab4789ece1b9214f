using System.ComponentModel.DataAnnotations;

namespace DomainPlatform.Console;

/// <summary>The console's settings (section <c>Console</c>).</summary>
public sealed class ConsoleOptions
{
    public const string Section = "Console";

    /// <summary>Where the gateway serves the console; the gateway's route is <c>/console/{**rest}</c>.</summary>
    [Required, RegularExpression("^/[A-Za-z0-9/_-]*[A-Za-z0-9_-]$")]
    public string PathBase { get; set; } = "/console";

    /// <summary>
    /// How often an open page reads the APIs again besides when an event says something it shows changed: for what no
    /// event announces (metrics, health, reports, sources, audit entries), 0.5 s to 5 minutes.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.5", "00:05:00")]
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a sign-in lasts without use, 1 minute to 7 days.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);
}
