using DomainPlatform.Contracts.Text;
using DomainPlatform.Extraction.Domain;

namespace DomainPlatform.Extraction.Tests;

public sealed class DomainDetectorTests
{
    private static readonly DomainProfile[] Profiles =
    [
        new("sql", ["sql", "query", "join", "group by"]),
        new("billing", ["invoice", "payment", "amount due"]),
        new("hr", ["vacation", "salary"]),
    ];

    [Fact]
    public void Picks_the_domain_with_most_keyword_hits_and_names_the_runner_up()
    {
        var detection = DomainDetector.Detect("This SQL query joins invoices: the query uses a JOIN and GROUP BY on the invoice id.", Profiles);
        Assert.Equal("sql", detection.Best!.Domain);
        Assert.Equal(5, detection.Best.Hits); // sql, query x2, join, group by
        Assert.Equal(4, detection.Best.DistinctKeywords);
        Assert.Equal("billing", detection.RunnerUp!.Domain);
        Assert.Equal(1, detection.RunnerUp.Hits); // "invoices" is not "invoice"
        Assert.True(detection.Margin > 0);
    }

    [Fact]
    public void Score_is_the_share_of_tokens_covered_by_keyword_hits()
    {
        var detection = DomainDetector.Detect("amount due now", Profiles);
        Assert.Equal("billing", detection.Best!.Domain);
        Assert.Equal(3, detection.TokenCount);
        Assert.Equal(2.0 / 3, detection.Best.Score, 12);
        Assert.Null(detection.RunnerUp);
    }

    [Fact]
    public void Matching_ignores_case_and_punctuation_but_needs_whole_words()
    {
        Assert.Equal("hr", DomainDetector.Detect("VACATION!!! (salary)", Profiles).Best!.Domain);
        Assert.Null(DomainDetector.Detect("sqlite queryable joiner", Profiles).Best);
    }

    [Fact]
    public void A_phrase_matches_only_as_consecutive_words()
    {
        Assert.Null(DomainDetector.Detect("the amount is due", Profiles).Best);
        Assert.Equal(1, DomainDetector.Detect("amount, due", Profiles).Best!.Hits);
    }

    [Fact]
    public void Ties_on_hits_go_to_more_distinct_keywords_then_to_the_name()
    {
        var profiles = new[] { new DomainProfile("b", ["x"]), new DomainProfile("a", ["x"]), new DomainProfile("c", ["x", "y"]) };
        var tieOnHits = DomainDetector.Detect("x y", profiles);
        Assert.Equal("c", tieOnHits.Best!.Domain);
        Assert.Equal("a", tieOnHits.RunnerUp!.Domain);

        var fullTie = DomainDetector.Detect("x", profiles.Take(2));
        Assert.Equal("a", fullTie.Best!.Domain);
        Assert.Equal("b", fullTie.RunnerUp!.Domain);
        Assert.Equal(0, fullTie.Margin);
    }

    [Fact]
    public void Duplicate_keywords_in_a_profile_count_once()
    {
        var detection = DomainDetector.Detect("invoice", [new DomainProfile("billing", ["invoice", "Invoice", " INVOICE "])]);
        Assert.Equal(1, detection.Best!.Hits);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ...   ")]
    public void Empty_text_matches_nothing(string? text)
    {
        var detection = DomainDetector.Detect(text, Profiles);
        Assert.Null(detection.Best);
        Assert.Null(detection.RunnerUp);
        Assert.Equal(0, detection.TokenCount);
        Assert.Equal(0, detection.Margin);
    }

    [Fact]
    public void No_profiles_means_no_domain_and_null_profiles_are_refused()
    {
        Assert.Null(DomainDetector.Detect("sql", []).Best);
        Assert.Throws<ArgumentNullException>(() => DomainDetector.Detect("sql", null!));
    }

    [Fact]
    public void Tokens_are_lower_case_runs_of_letters_and_digits()
    {
        Assert.Equal(["order", "id", "42", "über", "straße"], TextTokens.Words("Order_ID=42; Über-Straße"));
        Assert.Empty(TextTokens.Words(null));
    }
}
