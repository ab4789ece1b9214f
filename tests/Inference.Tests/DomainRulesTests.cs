using DomainPlatform.Inference.Domain;
using DomainPlatform.LlamaCpp.Gguf;
using DomainPlatform.Protos.Inference;

namespace DomainPlatform.Inference.Tests;

public sealed class StopSequenceMatcherTests
{
    private static (string Text, bool Stopped) Run(IReadOnlyList<string> stops, params string[] pieces)
    {
        var matcher = new StopSequenceMatcher(stops);
        var output = string.Concat(pieces.Select(matcher.Append));
        return (output + matcher.Flush(), matcher.Stopped);
    }

    [Fact]
    public void Without_stops_everything_passes_at_once()
    {
        var matcher = new StopSequenceMatcher([]);
        Assert.Equal("ab", matcher.Append("ab"));
        Assert.Equal("", matcher.Flush());
    }

    [Fact]
    public void A_stop_inside_one_piece_cuts_the_text_before_it() =>
        Assert.Equal(("hello ", true), Run(["END"], "hello END and more", "ignored"));

    [Fact]
    public void A_stop_split_across_pieces_is_found_and_never_leaks()
    {
        var matcher = new StopSequenceMatcher(["</s>"]);
        Assert.Equal("abc", matcher.Append("abc<"));
        Assert.Equal("", matcher.Append("/"));
        Assert.Equal("", matcher.Append("s>tail"));
        Assert.True(matcher.Stopped);
        Assert.Equal("", matcher.Flush());
    }

    [Fact]
    public void Held_back_text_is_released_when_it_turns_out_not_to_be_a_stop()
    {
        var matcher = new StopSequenceMatcher(["STOP"]);
        Assert.Equal("x", matcher.Append("xST"));
        Assert.Equal("STx", matcher.Append("x"));
        Assert.False(matcher.Stopped);
    }

    [Fact]
    public void Held_back_text_comes_out_in_the_flush() => Assert.Equal(("abST", false), Run(["STOP"], "ab", "ST"));

    [Fact]
    public void The_earliest_of_several_stops_wins() => Assert.Equal(("a", true), Run(["c", "b"], "abc"));

    [Fact]
    public void Overlapping_prefixes_hold_back_the_longest_candidate()
    {
        var matcher = new StopSequenceMatcher(["aab"]);
        Assert.Equal("", matcher.Append("a"));
        Assert.Equal("", matcher.Append("a"));
        Assert.Equal("a", matcher.Append("a"));
        Assert.Equal("", matcher.Append("b"));
        Assert.True(matcher.Stopped);
    }

    [Fact]
    public void Empty_stop_sequences_are_refused() => Assert.Throws<ArgumentException>(() => new StopSequenceMatcher([""]));
}

public sealed class BatchPlannerTests
{
    [Fact]
    public void With_nothing_generating_prompts_fill_the_whole_batch() =>
        Assert.Equal([300, 212], BatchPlanner.PlanPrefill(512, 0, 64, [300, 400]));

    [Fact]
    public void While_streams_run_prefill_is_capped_at_the_chunk() =>
        Assert.Equal([64, 0], BatchPlanner.PlanPrefill(512, 3, 64, [300, 400]));

    [Fact]
    public void Short_prompts_share_the_chunk_in_arrival_order() =>
        Assert.Equal([10, 20, 34, 0], BatchPlanner.PlanPrefill(512, 1, 64, [10, 20, 50, 5]));

    [Fact]
    public void Generating_tokens_come_first_when_the_batch_is_nearly_full() =>
        Assert.Equal([2], BatchPlanner.PlanPrefill(8, 6, 64, [100]));

    [Fact]
    public void A_full_batch_leaves_nothing_for_prompts() =>
        Assert.Equal([0], BatchPlanner.PlanPrefill(8, 8, 64, [100]));

    [Fact]
    public void No_prompts_no_plan() => Assert.Empty(BatchPlanner.PlanPrefill(8, 2, 4, []));

    [Fact]
    public void Impossible_inputs_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchPlanner.PlanPrefill(0, 0, 1, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchPlanner.PlanPrefill(8, 9, 1, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchPlanner.PlanPrefill(8, 0, 0, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchPlanner.PlanPrefill(8, 0, 1, [-1]));
    }
}

public sealed class MemoryEstimatorTests
{
    private static readonly ModelShape Shape = new(TensorBytes: 1_000_000, Layers: 2, EmbeddingSize: 64, Heads: 4, KvHeads: 2, FeedForwardSize: 256, VocabularySize: 100);

    [Fact]
    public void Kv_cache_is_k_and_v_per_layer_per_cell_in_f16()
    {
        var estimate = MemoryEstimator.Estimate(Shape, contextSize: 1000, parallelSlots: 4, batchSize: 8);
        // head size 16, 2 KV heads -> 32 values per cell per layer, K and V, 2 bytes.
        Assert.Equal(2L * 2 * 1000 * 32 * 2, estimate.KvCacheBytes);
        Assert.Equal(1_000_000, estimate.WeightsBytes);
        Assert.Equal(8L * (4 * 64 + 2 * 256) * 4 + 8L * 250 * 4 * 4 + 8L * 100 * 4, estimate.ComputeBytes);
        Assert.Equal(estimate.WeightsBytes + estimate.KvCacheBytes + estimate.ComputeBytes + estimate.EmbeddingBytes, estimate.TotalBytes);
    }

    [Fact]
    public void The_embedding_context_is_reserved_its_cells_and_one_batch_over_them()
    {
        // 250 tokens per slot, batch 8: an embedding input holds at most 8 tokens.
        var estimate = MemoryEstimator.Estimate(Shape, contextSize: 1000, parallelSlots: 4, batchSize: 8);
        Assert.Equal(2L * 2 * 8 * 32 * 2 + 8L * (4 * 64 + 2 * 256) * 4 + 8L * 8 * 4 * 4 + 8L * 100 * 4, estimate.EmbeddingBytes);
        // With a batch larger than a slot, the slot's context is the limit.
        var wide = MemoryEstimator.Estimate(Shape, contextSize: 1000, parallelSlots: 4, batchSize: 512);
        Assert.Equal(2L * 2 * 250 * 32 * 2 + 250L * (4 * 64 + 2 * 256) * 4 + 250L * 250 * 4 * 4 + 250L * 100 * 4, wide.EmbeddingBytes);
    }

    [Fact]
    public void Doubling_the_context_doubles_the_kv_cache() =>
        Assert.Equal(2 * MemoryEstimator.Estimate(Shape, 1000, 1, 8).KvCacheBytes, MemoryEstimator.Estimate(Shape, 2000, 1, 8).KvCacheBytes);

    [Fact]
    public void A_model_that_fits_beside_the_loaded_ones_is_accepted()
    {
        var estimate = new MemoryEstimate(600, 300, 100);
        Assert.Null(MemoryEstimator.Refusal("m", estimate, reservedBytes: 0, budgetBytes: 1000));
        Assert.Null(MemoryEstimator.Refusal("m", estimate, reservedBytes: 500, budgetBytes: 1500));
    }

    [Fact]
    public void A_refusal_gives_the_figures()
    {
        var estimate = new MemoryEstimate(600L << 20, 300L << 20, 100L << 20);
        var refusal = MemoryEstimator.Refusal("big", estimate, reservedBytes: 512L << 20, budgetBytes: 1024L << 20);
        Assert.NotNull(refusal);
        Assert.Contains("'big'", refusal);
        Assert.Contains("1000.0 MiB", refusal);
        Assert.Contains("weights 600.0", refusal);
        Assert.Contains("KV cache 300.0", refusal);
        Assert.Contains("512.0 MiB of the 1024.0 MiB budget is free", refusal);
    }

    [Fact]
    public void The_default_budget_is_eighty_percent_of_what_is_available()
    {
        Assert.Equal(800, MemoryEstimator.DefaultBudget(1000));
        Assert.Equal(0, MemoryEstimator.DefaultBudget(-5));
    }

    [Fact]
    public void The_shape_is_read_from_the_gguf_header()
    {
        var plan = TinyModelGenerator.Plan(new TinyModelOptions { Layers = 3, EmbeddingSize = 32, Heads = 4, KvHeads = 2, FeedForwardSize = 48 });
        using var stream = new MemoryStream();
        plan.Writer.WriteTo(stream);
        stream.Position = 0;
        var shape = ModelShape.FromGguf(GgufReader.Read(stream));
        Assert.Equal(3, shape.Layers);
        Assert.Equal(32, shape.EmbeddingSize);
        Assert.Equal(4, shape.Heads);
        Assert.Equal(2, shape.KvHeads);
        Assert.Equal(48, shape.FeedForwardSize);
        Assert.Equal(plan.VocabularySize, shape.VocabularySize);
        Assert.True(shape.TensorBytes >= (long)plan.ParameterCount * 4);
    }
}

public sealed class ModelSpecRulesTests
{
    private static readonly ModelSpec Valid = new("tiny-1.0:a_b", "/m.gguf", new string('a', 64), -1, 4096, 4);

    [Fact]
    public void A_valid_spec_has_no_errors() => Assert.Empty(ModelSpecRules.Validate(Valid));

    [Fact]
    public void A_missing_checksum_is_allowed() => Assert.Empty(ModelSpecRules.Validate(Valid with { Sha256 = null }));

    [Fact]
    public void Deployment_model_ids_name_domain_at_version() =>
        Assert.Empty(ModelSpecRules.Validate(Valid with { Id = "0x5678-SQLAgent@1.3.0" }));

    [Theory]
    [InlineData("", "/m", null, -1, 4096, 4, "id")]
    [InlineData("-x", "/m", null, -1, 4096, 4, "id")]
    [InlineData("a b", "/m", null, -1, 4096, 4, "id")]
    [InlineData("m", " ", null, -1, 4096, 4, "path")]
    [InlineData("m", "/m", "abc", -1, 4096, 4, "sha256")]
    [InlineData("m", "/m", null, -2, 4096, 4, "gpuLayers")]
    [InlineData("m", "/m", null, -1, 4096, 0, "parallelSlots")]
    [InlineData("m", "/m", null, -1, 4096, 257, "parallelSlots")]
    [InlineData("m", "/m", null, -1, 63, 4, "contextSize")]
    public void Bad_specs_name_the_field(string id, string path, string? sha, int gpu, int context, int slots, string field)
    {
        var errors = ModelSpecRules.Validate(new ModelSpec(id, path, sha, gpu, context, slots));
        Assert.Contains(field, errors.Keys);
        Assert.Contains(field, ModelSpecRules.Describe(errors));
    }

    [Fact]
    public void Each_slot_gets_an_even_share_of_the_context() => Assert.Equal(1024, Valid.ContextPerSlot);
}

public sealed class GrpcRequestMappingTests
{
    [Fact]
    public void A_prompt_request_maps_to_a_completion()
    {
        var request = new GenerateRequest { ModelId = "m", Prompt = "p", MaxTokens = 5, Temperature = 0, Seed = 9 };
        request.Stop.Add("\n");
        var spec = GrpcRequestMapping.ToSpec(request).Spec!;
        Assert.Equal("p", spec.Prompt);
        Assert.Equal(5, spec.MaxTokens);
        Assert.True(spec.Sampling.IsGreedy);
        Assert.Equal(9u, spec.Sampling.Seed);
        Assert.Equal(["\n"], spec.Stop);
    }

    [Fact]
    public void Messages_map_to_a_chat_and_unset_fields_keep_defaults()
    {
        var request = new GenerateRequest { ModelId = "m" };
        request.Messages.Add(new Protos.Inference.ChatMessage { Role = "user", Content = "hi" });
        var spec = GrpcRequestMapping.ToSpec(request).Spec!;
        Assert.Equal("hi", spec.Messages![0].Content);
        Assert.Null(spec.MaxTokens);
        Assert.Equal(1f, spec.Sampling.Temperature);
    }

    [Fact]
    public void Both_or_neither_prompt_and_messages_is_refused()
    {
        Assert.NotNull(GrpcRequestMapping.ToSpec(new GenerateRequest { ModelId = "m" }).Error);
        var both = new GenerateRequest { ModelId = "m", Prompt = "p" };
        both.Messages.Add(new Protos.Inference.ChatMessage { Role = "user", Content = "hi" });
        Assert.NotNull(GrpcRequestMapping.ToSpec(both).Error);
    }

    [Fact]
    public void Load_requests_fill_in_defaults_for_zero_fields()
    {
        var spec = GrpcRequestMapping.ToSpec(new LoadModelRequest { ModelId = "m", Path = "/p", Sha256 = "s" });
        Assert.Equal(ModelSpec.DefaultContextSize, spec.ContextSize);
        Assert.Equal(ModelSpec.DefaultParallelSlots, spec.ParallelSlots);
        Assert.Equal(0, spec.GpuLayers);
    }
}
