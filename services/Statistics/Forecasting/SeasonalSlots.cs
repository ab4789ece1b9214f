namespace DomainPlatform.Statistics.Forecasting;

/// <summary>
/// How a stream's samples fall into the slots of a season: sample t (counted from the first sample of a season)
/// is in slot ⌊t / SamplesPerSlot⌋ mod SlotCount. One slot of one sample is no season at all; 24 slots of 60
/// one-minute samples are the hours of a day.
/// </summary>
public readonly record struct SeasonalSlots
{
    public SeasonalSlots(int slotCount, int samplesPerSlot)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slotCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(samplesPerSlot, 1);
        SlotCount = slotCount;
        SamplesPerSlot = samplesPerSlot;
    }

    /// <summary>No season: every sample is in the one slot.</summary>
    public static SeasonalSlots None { get; } = new(1, 1);

    public int SlotCount { get; }

    public int SamplesPerSlot { get; }

    /// <summary>Samples in one season.</summary>
    public long Period => (long)SlotCount * SamplesPerSlot;

    public bool IsSeasonal => SlotCount > 1;

    public int SlotOf(long sampleIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sampleIndex);
        return (int)(sampleIndex / SamplesPerSlot % SlotCount);
    }
}
