using DomainPlatform.Dp.Api;

namespace DomainPlatform.Dp.Cli;

/// <summary>
/// One look at something being followed. A follow can last many minutes, so a passing failure (a 5xx, or the
/// gateway not answering while it restarts) is said on stderr and the next look tried; only
/// <see cref="MaxFailures"/> failures in a row end the follow with the last one. A 4xx ends it at once.
/// </summary>
public sealed class Polling(Invocation run, string path, TimeSpan interval)
{
    public const int MaxFailures = 5;
    private int failures;

    public async Task<ApiResponse> NextAsync(CancellationToken ct)
    {
        while (true)
        {
            await Task.Delay(interval, ct);
            try
            {
                var response = await run.Api.GetAsync(path, ct);
                failures = 0;
                return response;
            }
            catch (Exception e) when (e is GatewayUnreachableException or ApiException { Status: >= 500 } && ++failures < MaxFailures)
            {
                await run.Context.Error.WriteLineAsync($"dp: {e.Message.Split('\n')[0]} (look {failures} of {MaxFailures} failed; trying again)");
            }
        }
    }
}
