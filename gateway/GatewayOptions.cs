using System.ComponentModel.DataAnnotations;

namespace DomainPlatform.Gateway;

public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>Where the bootstrap admin key is written (the launcher sets .platform/run/&lt;profile&gt;/admin-key).</summary>
    public string? AdminKeyFile { get; set; }

    /// <summary>Largest request body the gateway accepts, in bytes (413 beyond it).</summary>
    [Range(1024, long.MaxValue)]
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;
}
