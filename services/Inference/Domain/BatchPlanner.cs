namespace DomainPlatform.Inference.Domain;

/// <summary>Decides how many prompt tokens each prefilling sequence puts into the next decode step.</summary>
public static class BatchPlanner
{
    /// <summary>
    /// Every generating sequence takes one token of the batch. The rest goes to prompts in arrival order,
    /// capped at <paramref name="prefillChunk"/> while anything is generating, so long prompts do not stall
    /// running streams; with nothing generating, prompts may fill the whole batch.
    /// </summary>
    /// <returns>Tokens to take from each prefilling sequence, index for index with <paramref name="remainingPromptTokens"/>.</returns>
    public static int[] PlanPrefill(int batchCapacity, int generatingSequences, int prefillChunk, IReadOnlyList<int> remainingPromptTokens)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(generatingSequences);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(generatingSequences, batchCapacity);
        ArgumentOutOfRangeException.ThrowIfLessThan(prefillChunk, 1);
        ArgumentNullException.ThrowIfNull(remainingPromptTokens);

        var budget = batchCapacity - generatingSequences;
        if (generatingSequences > 0)
        {
            budget = Math.Min(budget, prefillChunk);
        }
        var plan = new int[remainingPromptTokens.Count];
        for (var i = 0; i < plan.Length && budget > 0; i++)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(remainingPromptTokens[i]);
            plan[i] = Math.Min(budget, remainingPromptTokens[i]);
            budget -= plan[i];
        }
        return plan;
    }
}
