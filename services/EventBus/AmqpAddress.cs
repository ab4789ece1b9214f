namespace DomainPlatform.EventBus;

/// <summary>The parts of an amqp:// connection string (the form an Aspire AppHost injects).</summary>
public sealed record AmqpAddress(string Host, ushort Port, string VirtualHost, string Username, string Password)
{
    public static AmqpAddress Parse(string connectionString)
    {
        if (!Uri.TryCreate(connectionString, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps"))
        {
            throw new FormatException($"'{Redact(connectionString)}' is not an amqp://user:password@host:port/vhost URI.");
        }

        var userInfo = uri.UserInfo.Split(':', 2);
        var username = userInfo[0].Length > 0 ? Uri.UnescapeDataString(userInfo[0]) : "guest";
        var password = userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : "guest";
        var path = uri.AbsolutePath.TrimStart('/');
        var vhost = path.Length == 0 ? "/" : Uri.UnescapeDataString(path);
        var port = uri.IsDefaultPort || uri.Port <= 0 ? (uri.Scheme == "amqps" ? 5671 : 5672) : uri.Port;
        return new AmqpAddress(uri.Host, (ushort)port, vhost, username, password);
    }

    private static string Redact(string value) => value.Contains('@') ? "amqp://***@" + value[(value.IndexOf('@') + 1)..] : value;
}
