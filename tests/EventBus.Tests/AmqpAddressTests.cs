namespace DomainPlatform.EventBus.Tests;

public sealed class AmqpAddressTests
{
    [Theory]
    [InlineData("amqp://u:p@127.0.0.1:55672/", "127.0.0.1", 55672, "/", "u", "p")]
    [InlineData("amqp://u:p@127.0.0.1:55672/%2F", "127.0.0.1", 55672, "/", "u", "p")]
    [InlineData("amqp://u:p@host:1/e2e-1", "host", 1, "e2e-1", "u", "p")]
    [InlineData("amqp://host", "host", 5672, "/", "guest", "guest")]
    [InlineData("amqps://a%40b:p%3Aw@host/v", "host", 5671, "v", "a@b", "p:w")]
    public void Parses_what_an_apphost_injects(string uri, string host, int port, string vhost, string user, string password)
    {
        var address = AmqpAddress.Parse(uri);
        Assert.Equal(new AmqpAddress(host, (ushort)port, vhost, user, password), address);
    }

    [Theory]
    [InlineData("")]
    [InlineData("localhost:5672")]
    [InlineData("http://u:secret@host/")]
    public void Refuses_anything_else_without_echoing_the_password(string uri)
    {
        var error = Assert.Throws<FormatException>(() => AmqpAddress.Parse(uri));
        Assert.DoesNotContain("secret", error.Message);
    }
}
