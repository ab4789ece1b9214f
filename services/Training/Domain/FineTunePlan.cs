namespace DomainPlatform.Training.Domain;

/// <summary>How a token stream is cut into training windows: each is the context size long, one every stride tokens.</summary>
public sealed record FineTunePlan(int ContextSize, int Stride, int Windows, int ValidationWindows)
{
    /// <summary>Windows overlap by three quarters, so a small dataset still yields several.</summary>
    public static int StrideFor(int contextSize) => Math.Max(1, contextSize / 4);

    /// <summary>
    /// The plan for <paramref name="tokens"/> tokens, or the reason there is none. Like llama.cpp's epoch, the last
    /// windows are held out: all but floor(windows x (1 - validation fraction)), so two windows are the least that
    /// gives one to train on and one to validate with.
    /// </summary>
    public static (FineTunePlan? Plan, string? Problem) For(int tokens, int contextSize, double validationFraction)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(contextSize, 1);
        if (!(validationFraction > 0 && validationFraction < 1)) throw new ArgumentOutOfRangeException(nameof(validationFraction));
        var stride = StrideFor(contextSize);
        var windows = tokens < contextSize + 1 ? 0 : (tokens - contextSize - 1) / stride + 1;
        if (windows < 2)
        {
            return (null, $"The dataset is {tokens} tokens in the base model's vocabulary; fine-tuning with {contextSize}-token windows " +
                          $"every {stride} tokens needs at least {contextSize + 1 + stride} (one window to train on, one to validate with).");
        }
        var train = Math.Clamp((int)(windows * (1 - validationFraction)), 1, windows - 1);
        return (new FineTunePlan(contextSize, stride, windows, windows - train), null);
    }
}
