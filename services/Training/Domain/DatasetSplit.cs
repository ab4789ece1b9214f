namespace DomainPlatform.Training.Domain;

/// <summary>
/// A deterministic train/validation split: every k-th example (k = round(1/fraction)) is held out, so the same
/// dataset always splits the same way and both parts are spread over the whole file.
/// </summary>
public static class DatasetSplit
{
    public const int MinimumExamples = 2;

    public static (List<T> Train, List<T> Validation) Split<T>(IReadOnlyList<T> examples, double validationFraction)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (!(validationFraction > 0 && validationFraction < 1)) throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "The validation fraction must be between 0 and 1.");
        if (examples.Count < MinimumExamples) throw new ArgumentException($"A split needs at least {MinimumExamples} examples; the dataset has {examples.Count}.", nameof(examples));

        var every = Math.Max(2, (int)Math.Round(1 / validationFraction));
        var train = new List<T>();
        var validation = new List<T>();
        for (var i = 0; i < examples.Count; i++) (i % every == every - 1 ? validation : train).Add(examples[i]);
        // Small sets: hold out the last example so validation is never empty.
        if (validation.Count == 0)
        {
            validation.Add(train[^1]);
            train.RemoveAt(train.Count - 1);
        }
        return (train, validation);
    }
}
