using DomainPlatform.Assignment;
using DomainPlatform.Contracts.Events;
using DomainPlatform.Gateway.Inference;
using DomainPlatform.Gateway.Routing;

namespace DomainPlatform.Gateway.Tests;

public sealed class DomainRoutingUnitTests
{
    private static RouteVariant V(string name, double weight, string destination = "inference") =>
        new(name, name + "-v", "m@" + name, weight, destination);

    private static DomainRoute D(string id, string[]? aliases = null, string[]? keywords = null, params RouteVariant[] variants) =>
        new(id, aliases ?? [], keywords ?? [], "salt-" + id, variants.Length > 0 ? variants : [V("stable", 100)]);

    private static readonly IReadOnlyDictionary<string, double> NoWeights = new Dictionary<string, double>();

    [Fact]
    public void Domains_are_found_by_id_or_alias_ignoring_case_and_an_id_beats_another_domains_alias()
    {
        var table = new DomainRouteTable(1, [D("b-domain", aliases: ["sql", "a-domain"]), D("a-domain", aliases: ["docs"])]);
        Assert.Equal("b-domain", table.Find("SQL")!.Id);
        Assert.Equal("a-domain", table.Find("docs")!.Id);
        Assert.Equal("a-domain", table.Find("a-domain")!.Id);
        Assert.Null(table.Find("nope"));
    }

    [Fact]
    public void The_accepted_models_are_what_choose_routes_to_a_serving_domain_and_nothing_else()
    {
        var table = new DomainRouteTable(1,
        [
            D("b-domain", aliases: ["sql", "a-domain", "SQL"]),
            D("a-domain", aliases: ["docs"]),
            D("off", aliases: ["dark"], variants: [V("stable", 0)]),
        ]);
        var accepted = DomainRouter.Accepted(table);
        // a-domain's id wins over b-domain's alias of the same spelling, so that alias is not b-domain's to list.
        Assert.Equal(["a-domain", "docs", "b-domain", "sql", "auto"], accepted.Select(a => a.Model));
        foreach (var (model, domain) in accepted.Where(a => a.Domain is not null))
        {
            var chosen = Assert.IsType<DomainChoice.Chosen>(DomainRouter.Choose(model, "", table, NoWeights));
            Assert.Same(domain, chosen.Domain);
        }
        Assert.Empty(DomainRouter.Accepted(new DomainRouteTable(2, [D("off", variants: [V("stable", 0)])])));
        Assert.Empty(DomainRouter.Accepted(DomainRouteTable.Empty));
    }

    [Theory]
    [InlineData(400, "invalid_request_error", true)]
    [InlineData(400, null, true)]
    [InlineData(422, null, true)]
    [InlineData(413, null, true)]
    [InlineData(400, "context_length_exceeded", false)]
    [InlineData(404, "model_not_found", false)]
    [InlineData(408, null, false)]
    [InlineData(429, "rate_limit_exceeded", false)]
    [InlineData(500, null, false)]
    [InlineData(503, "model_unavailable", false)]
    [InlineData(200, null, false)]
    public void Only_a_refusal_of_the_clients_own_request_is_a_client_error(int status, string? code, bool clientError) =>
        Assert.Equal(clientError, DomainPlatform.Gateway.Outcomes.OutcomeClassifier.IsClientError(status, code, out _));

    [Theory]
    [InlineData("""{"error":{"message":"m","type":"invalid_request_error","param":"n","code":"bad_n"}}""", "bad_n")]
    [InlineData("""{"error":{"message":"m","type":"invalid_request_error","param":null,"code":null}}""", "invalid_request_error")]
    [InlineData("""{"choices":[]}""", null)]
    [InlineData("""data: {"error":{}}""", null)]
    [InlineData("""{"error":""", null)]
    [InlineData("", null)]
    public void The_error_code_is_read_from_an_openai_error_body(string body, string? code) =>
        Assert.Equal(code, DomainPlatform.Gateway.Outcomes.OutcomeClassifier.ErrorCode(body));

    [Fact]
    public void A_validation_problem_becomes_one_openai_message_naming_its_first_field()
    {
        var problem = new Microsoft.AspNetCore.Http.HttpValidationProblemDetails(new Dictionary<string, string[]>
        {
            ["score"] = ["The score must lie within [0, 1]."], ["label"] = ["Too long."],
        }) { Status = 400 };
        var error = DomainPlatform.Gateway.Inference.OpenAiProblemDetailsWriter.ToOpenAi(problem, 400).Error;
        Assert.Equal(("invalid_request_error", "score", (string?)null), (error.Type, error.Param, error.Code));
        Assert.Equal("score: The score must lie within [0, 1]. label: Too long.", error.Message);
    }

    [Fact]
    public void A_domain_without_traffic_or_with_a_bad_split_cannot_serve_but_stays_listed()
    {
        var table = new DomainRouteTable(1,
        [
            new DomainRoute("empty", [], [], "s", []),
            D("zero", variants: [V("stable", 0), V("canary", 0)]),
            D("dupe", variants: [V("a", 50), V("a", 50)]),
            D("fine"),
        ]);
        Assert.NotNull(table.Find("empty")!.Unservable);
        Assert.NotNull(table.Find("zero")!.Unservable);
        Assert.Contains("more than once", table.Find("dupe")!.Unservable);
        Assert.Null(table.Find("fine")!.Unservable);
        Assert.Throws<InvalidOperationException>(() => table.Find("empty")!.Assign("u"));
    }

    [Fact]
    public void Stable_and_canary_follow_the_monotone_canary_split_of_the_assignment_library()
    {
        var domain = new RoutableDomain(D("d", variants: [V("stable", 75), V("canary", 25)]));
        var split = new CanarySplit("salt-d", 25);
        foreach (var key in Enumerable.Range(0, 500).Select(i => $"k{i}"))
        {
            Assert.Equal(split.IsCanary(key) ? "canary" : "stable", domain.Assign(key).Name);
        }
    }

    [Fact]
    public void Raising_the_canary_weight_only_moves_users_towards_the_canary()
    {
        var keys = Enumerable.Range(0, 2000).Select(i => $"user-{i}").ToList();
        string[]? previous = null;
        foreach (var percent in new[] { 1.0, 10, 50, 100 })
        {
            var domain = new RoutableDomain(D("d", variants: [V("stable", 100 - percent), V("canary", percent)]));
            var now = keys.Select(k => domain.Assign(k).Name).ToArray();
            if (previous is not null)
            {
                Assert.All(Enumerable.Range(0, keys.Count), i => Assert.False(previous[i] == "canary" && now[i] == "stable", $"{keys[i]} moved back to stable"));
            }
            previous = now;
        }
        Assert.All(previous!, v => Assert.Equal("canary", v));
    }

    [Fact]
    public void Other_splits_use_the_traffic_split_in_the_order_given()
    {
        var domain = new RoutableDomain(D("d", variants: [V("a", 25), V("b", 25), V("c", 25), V("d", 25)]));
        var split = new TrafficSplit("salt-d", [new("a", 25), new("b", 25), new("c", 25), new("d", 25)]);
        foreach (var key in Enumerable.Range(0, 300).Select(i => $"k{i}")) Assert.Equal(split.Assign(key), domain.Assign(key).Name);
    }

    [Fact]
    public void Destinations_are_distinct_and_map_to_clusters()
    {
        var table = new DomainRouteTable(1, [D("x", variants: [V("stable", 50, "inference"), V("canary", 50, "Inference-B")]), D("y", variants: [V("stable", 100, "http://10.0.0.5:8080/")])]);
        Assert.Equal(["Inference-B", "http://10.0.0.5:8080/", "inference"], table.Destinations); // ordinal order
        Assert.Equal("inference-b", DestinationClusters.IdFor("Inference-B"));
        Assert.Equal("url:http://10.0.0.5:8080", DestinationClusters.IdFor("http://10.0.0.5:8080/"));
        Assert.Equal("inference", DestinationClusters.IdFor(""));
        Assert.Equal("http://inference-b", DestinationClusters.ClusterFor("inference-b").Destinations!.Single().Value.Address);
        Assert.Equal("http://10.0.0.5:8080", DestinationClusters.ClusterFor("http://10.0.0.5:8080/").Destinations!.Single().Value.Address);
    }

    [Fact]
    public void Model_naming_a_domain_or_alias_chooses_it_and_anything_else_is_unknown()
    {
        var table = new DomainRouteTable(1, [D("0x1-sql", aliases: ["sql"])]);
        Assert.Equal("0x1-sql", Assert.IsType<DomainChoice.Chosen>(DomainRouter.Choose(" sql ", "", table, NoWeights)).Domain.Id);
        Assert.Contains("gpt-4", Assert.IsType<DomainChoice.Unknown>(DomainRouter.Choose("gpt-4", "", table, NoWeights)).Detail);
    }

    [Fact]
    public void Auto_scores_keywords_by_whole_words()
    {
        var table = new DomainRouteTable(1, [D("sql", keywords: ["sql", "query"]), D("docs", keywords: ["manual", "user guide"])]);
        Assert.Equal("sql", Chosen("AUTO", "Write a SQL query, please", table).Domain.Id);
        Assert.Equal("docs", Chosen("auto", "Where is the user guide?", table).Domain.Id);
        // "sqlite" is not "sql", "guidebook" is not "user guide".
        Assert.IsType<DomainChoice.Unknown>(DomainRouter.Choose("auto", "sqlite guidebook", table, NoWeights));
    }

    [Fact]
    public void Auto_blends_keyword_scores_and_learned_weights_sixty_forty()
    {
        var table = new DomainRouteTable(1, [D("a", keywords: ["alpha"]), D("b", keywords: ["beta"])]);
        var weights = new Dictionary<string, double> { ["a"] = 0, ["b"] = 1 };
        // Keywords alone: a has all hits (0.6); learned weights: b has all weight (0.4).
        var choice = Chosen("auto", "alpha", table, weights);
        Assert.Equal("a", choice.Domain.Id);
        Assert.Equal(0.6, choice.Score!.Score, 10);

        // With a hit each (0.3 both), the learned weight decides.
        Assert.Equal("b", Chosen("auto", "alpha beta", table, weights).Domain.Id);
        var scores = DomainRouter.Score("alpha beta", table.Domains, weights);
        Assert.Equal([0.3, 0.7], scores.Select(s => Math.Round(s.Score, 10)));

        // No keyword at all: the learned weight alone.
        Assert.Equal("b", Chosen("auto", "hello", table, weights).Domain.Id);
    }

    [Fact]
    public void Auto_with_nothing_to_go_on_picks_the_only_domain_or_refuses()
    {
        var one = new DomainRouteTable(1, [D("only", keywords: ["x"])]);
        Assert.Equal("only", Chosen("auto", "hello", one).Domain.Id);
        var two = new DomainRouteTable(1, [D("a"), D("b"), new DomainRoute("dead", [], ["hello"], "s", [])]);
        Assert.IsType<DomainChoice.Unknown>(DomainRouter.Choose("auto", "hello", two, NoWeights));
        Assert.IsType<DomainChoice.Unknown>(DomainRouter.Choose("auto", "hello", DomainRouteTable.Empty, NoWeights));
    }

    [Fact]
    public void Learned_weights_ignore_unknown_negative_and_non_finite_values()
    {
        var table = new DomainRouteTable(1, [D("a"), D("b")]);
        var weights = new Dictionary<string, double> { ["a"] = double.NaN, ["b"] = -1, ["zzz"] = 5 };
        Assert.All(DomainRouter.Score("", table.Domains, weights), s => Assert.Equal(0, s.Score));
    }

    [Theory]
    [InlineData("alice", "bob", "key1", "alice")]
    [InlineData(null, "bob", "key1", "bob")]
    [InlineData(" ", " ", "key1", "apikey:key1")]
    [InlineData(null, null, null, "request:r1")]
    public void Assignment_key_is_user_then_header_then_api_key(string? user, string? header, string? keyId, string expected) =>
        Assert.Equal(expected, AssignmentKeys.For(user, header, keyId, "r1"));

    private static DomainChoice.Chosen Chosen(string model, string prompt, DomainRouteTable table, IReadOnlyDictionary<string, double>? weights = null) =>
        Assert.IsType<DomainChoice.Chosen>(DomainRouter.Choose(model, prompt, table, weights ?? NoWeights));
}
