using DomainPlatform.Training.Domain;
using DomainPlatform.Training.Jobs;

namespace DomainPlatform.Training.Tests;

public sealed class JobStatesTests
{
    [Theory]
    [InlineData("queued", "running", true)]
    [InlineData("queued", "cancelled", true)]
    [InlineData("running", "succeeded", true)]
    [InlineData("running", "failed", true)]
    [InlineData("running", "cancelled", true)]
    [InlineData("running", "queued", true)]
    [InlineData("queued", "succeeded", false)]
    [InlineData("succeeded", "running", false)]
    [InlineData("failed", "queued", false)]
    [InlineData("cancelled", "running", false)]
    public void Only_the_documented_moves_are_allowed(string from, string to, bool allowed) => Assert.Equal(allowed, JobStates.CanMove(from, to));

    [Fact]
    public void Terminal_states_are_exactly_the_three_endings() =>
        Assert.Equal(["succeeded", "failed", "cancelled"], JobStates.All.Where(JobStates.IsTerminal));
}

public sealed class JsonlDatasetTests
{
    [Fact]
    public void Reads_one_example_per_line_skipping_blank_lines_and_carriage_returns()
    {
        var examples = JsonlDataset.Parse("{\"prompt\":\"a\",\"completion\":\"b\"}\r\n\n{\"completion\":\"d\",\"prompt\":\"c\",\"extra\":1}\n");
        Assert.Equal([new PromptCompletion("a", "b"), new PromptCompletion("c", "d")], examples);
    }

    [Theory]
    [InlineData("{\"prompt\":\"a\"", "Line 1 is not valid JSON")]
    [InlineData("\n\n\"text\"", "Line 3 is not a JSON object")]
    [InlineData("{\"prompt\":\"a\"}", "Line 1 has no string \"completion\"")]
    [InlineData("{\"prompt\":null,\"completion\":\"b\"}", "Line 1 has no string \"prompt\"")]
    public void Names_the_first_bad_line(string content, string message) =>
        Assert.Contains(message, Assert.Throws<FormatException>(() => JsonlDataset.Parse(content)).Message);

    [Fact]
    public void An_empty_file_has_no_examples() => Assert.Empty(JsonlDataset.Parse(""));
}

public sealed class DatasetSplitTests
{
    [Fact]
    public void Every_kth_example_is_held_out()
    {
        var (train, validation) = DatasetSplit.Split(Enumerable.Range(0, 20).ToList(), 0.1);
        Assert.Equal([9, 19], validation);
        Assert.Equal(18, train.Count);
        Assert.Empty(train.Intersect(validation));
    }

    [Fact]
    public void Small_sets_still_hold_one_out()
    {
        var (train, validation) = DatasetSplit.Split([1, 2, 3], 0.1);
        Assert.Equal([1, 2], train);
        Assert.Equal([3], validation);
    }

    [Fact]
    public void A_large_fraction_never_empties_training()
    {
        var (train, validation) = DatasetSplit.Split([1, 2], 0.9);
        Assert.Equal([1], train);
        Assert.Equal([2], validation);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(double.NaN)]
    public void The_fraction_must_be_strictly_between_zero_and_one(double fraction) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => DatasetSplit.Split([1, 2, 3], fraction));

    [Fact]
    public void One_example_cannot_be_split() => Assert.Throws<ArgumentException>(() => DatasetSplit.Split([1], 0.1));
}

public sealed class UnigramModelTests
{
    [Fact]
    public void Probabilities_are_add_one_smoothed_with_an_unknown_slot_and_sum_to_one()
    {
        var model = new UnigramModel();
        model.Add(["a", "a", "b"]);
        // N = 3, V = 2: P(a) = 3/6, P(b) = 2/6, P(unknown) = 1/6.
        Assert.Equal(3.0 / 6, model.Probability("a"), 12);
        Assert.Equal(2.0 / 6, model.Probability("b"), 12);
        Assert.Equal(1.0 / 6, model.Probability("zzz"), 12);
        Assert.Equal(1.0, model.Probability("a") + model.Probability("b") + model.Probability("zzz"), 12);
    }

    [Fact]
    public void Cross_entropy_is_the_mean_negative_log_likelihood_in_nats()
    {
        var model = new UnigramModel();
        model.Add(["a", "a", "b"]);
        var expected = -(Math.Log(3.0 / 6) + Math.Log(2.0 / 6)) / 2;
        Assert.Equal(expected, model.CrossEntropy(["a", "b"])!.Value, 12);
        Assert.Null(model.CrossEntropy([]));
    }

    [Fact]
    public void Unseen_validation_text_costs_more_than_the_training_text()
    {
        var model = new UnigramModel();
        model.Add(["select", "count", "from", "orders", "select", "from"]);
        Assert.True(model.CrossEntropy(["delete", "users"]) > model.CrossEntropy(["select", "from"]));
    }

    [Fact]
    public void Accuracy_is_the_share_of_tokens_equal_to_the_most_frequent_one()
    {
        var model = new UnigramModel();
        model.Add(["x", "y", "y"]);
        Assert.Equal("y", model.MostFrequent);
        Assert.Equal(0.5, model.Accuracy(["y", "x"]));
        Assert.Null(model.Accuracy([]));
        Assert.Equal(0, new UnigramModel().Accuracy(["x"]));
    }

    [Fact]
    public void Ties_for_most_frequent_go_to_the_ordinal_first()
    {
        var model = new UnigramModel();
        model.Add(["b", "a"]);
        Assert.Equal("a", model.MostFrequent);
    }
}

public sealed class JobRulesTests
{
    [Fact]
    public void A_dataset_alone_is_a_valid_request() => Assert.Empty(JobRules.Validate(Guid.NewGuid(), null, null, null));

    [Theory]
    [InlineData(null, null, null, null, "datasetId")]
    [InlineData("00000000-0000-0000-0000-000000000000", null, null, null, "datasetId")]
    [InlineData("0193f5a2-7c1e-7d3a-9b2f-1a2b3c4d5e6f", 0, null, null, "epochs")]
    [InlineData("0193f5a2-7c1e-7d3a-9b2f-1a2b3c4d5e6f", 1001, null, null, "epochs")]
    [InlineData("0193f5a2-7c1e-7d3a-9b2f-1a2b3c4d5e6f", null, -0.1, null, "learningRate")]
    [InlineData("0193f5a2-7c1e-7d3a-9b2f-1a2b3c4d5e6f", null, double.PositiveInfinity, null, "learningRate")]
    [InlineData("0193f5a2-7c1e-7d3a-9b2f-1a2b3c4d5e6f", null, null, "relative.gguf", "baseModelPath")]
    [InlineData("0193f5a2-7c1e-7d3a-9b2f-1a2b3c4d5e6f", null, null, "/models/model.bin", "baseModelPath")]
    public void Each_bad_field_is_named(string? datasetId, int? epochs, double? learningRate, string? baseModelPath, string field) =>
        Assert.True(JobRules.Validate(datasetId is null ? null : Guid.Parse(datasetId), epochs, learningRate, baseModelPath).ContainsKey(field));
}

public sealed class TrainingProgressTests
{
    [Theory]
    [InlineData(1, 2, 5, 10, 0.25)]
    [InlineData(2, 2, 10, 10, 1.0)]
    [InlineData(1, 1, 0, 10, 0.0)]
    [InlineData(1, 0, 0, 0, 0.0)]
    public void Fraction_spans_all_epochs(int epoch, int totalEpochs, int step, int totalSteps, double expected) =>
        Assert.Equal(expected, new TrainingProgress(epoch, totalEpochs, step, totalSteps, null, null, "").Fraction, 12);
}

public sealed class ProgressHistoryTests
{
    [Fact]
    public void A_history_within_the_cap_keeps_every_point() =>
        Assert.Empty(ProgressHistory.ToDrop([.. Enumerable.Repeat(false, ProgressHistory.MaxPoints)]));

    [Theory]
    [InlineData(501, 0, true)]
    [InlineData(501, 40, true)]
    [InlineData(777, 3, true)]
    [InlineData(501, 250, true)] // spared evaluations alone bring it within the cap
    [InlineData(700, 300, false)]
    [InlineData(1000, 250, false)] // too many evaluations to spare: thinned regardless, still bounded
    [InlineData(1000, 1000, false)]
    public void Thinning_stays_within_the_cap_keeps_both_ends_and_leaves_even_gaps(int count, int validated, bool evaluationsSpared)
    {
        // The validated points spread evenly, as epochs' evaluations are.
        var points = Enumerable.Range(0, count).Select(i => validated > 0 && i % Math.Max(1, count / validated) == 0).ToList();
        var drop = ProgressHistory.ToDrop(points);
        var kept = Enumerable.Range(0, count).Except(drop).ToList();

        Assert.InRange(kept.Count, 2, ProgressHistory.MaxPoints);
        Assert.Equal(0, kept[0]);
        Assert.Equal(count - 1, kept[^1]);
        // Just past the cap (as the store thins) one halving fits; a list twice the cap is halved twice.
        var widest = count <= 2 * ProgressHistory.MaxPoints - 2 ? 2 : 4;
        Assert.All(kept.Zip(kept.Skip(1), (a, b) => b - a), gap => Assert.InRange(gap, 1, widest));
        var evaluations = Enumerable.Range(0, count).Where(i => points[i]).ToList();
        Assert.Equal(evaluationsSpared, evaluations.All(kept.Contains));
    }

    [Fact]
    public void Points_kept_again_and_again_stay_bounded_as_a_long_job_goes_on()
    {
        var points = new List<bool>();
        for (var report = 0; report < 20_000; report++)
        {
            points.Add(report % 97 == 0);
            var drop = ProgressHistory.ToDrop(points).ToHashSet();
            if (drop.Count > 0) points = [.. points.Where((_, i) => !drop.Contains(i))];
            Assert.InRange(points.Count, 1, ProgressHistory.MaxPoints);
        }
    }
}
