namespace DomainPlatform.Training.Domain;

/// <summary>
/// How many progress points a job keeps, and which to drop when it has too many: the history stays bounded and still
/// spans the whole job, at half the resolution after each thinning, the first and last points always kept.
/// </summary>
public static class ProgressHistory
{
    /// <summary>The most points a job keeps; at one report a second a 10-minute job fits without thinning.</summary>
    public const int MaxPoints = 500;

    /// <summary>
    /// The positions (0-based, in step order) to drop from <paramref name="points"/>, each flagged whether it carries a
    /// validation loss, once there are more than <paramref name="max"/>: every second point between the first and the
    /// last, sparing those with a validation loss (the epochs' evaluations) while that alone brings the count to at most
    /// <paramref name="max"/>; otherwise every second point between the first and the last regardless.
    /// </summary>
    public static IReadOnlyList<int> ToDrop(IReadOnlyList<bool> points, int max = MaxPoints)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 3);
        var kept = Enumerable.Range(0, points.Count).ToList();
        // One halving is enough when the cap is just passed, as in the store; a longer list is halved until it fits.
        while (kept.Count > max)
        {
            var sparing = EverySecondInterior(kept, i => !points[i]);
            var drop = kept.Count - sparing.Count <= max ? sparing : EverySecondInterior(kept, _ => true);
            kept = [.. kept.Except(drop)];
        }
        return [.. Enumerable.Range(0, points.Count).Except(kept)];
    }

    private static List<int> EverySecondInterior(List<int> kept, Func<int, bool> candidate)
    {
        var drop = new List<int>();
        var take = false;
        for (var k = 1; k < kept.Count - 1; k++)
        {
            if (!candidate(kept[k])) continue;
            if (take) drop.Add(kept[k]);
            take = !take;
        }
        return drop;
    }
}
