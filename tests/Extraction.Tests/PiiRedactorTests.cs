using DomainPlatform.Extraction.Domain;

namespace DomainPlatform.Extraction.Tests;

public sealed class PiiRedactorTests
{
    [Theory]
    [InlineData("Mail jane.doe+work@mail.example.co.uk now", "Mail [EMAIL] now")]
    [InlineData("IBAN DE89 3704 0044 0532 0130 00.", "IBAN [IBAN].")]
    [InlineData("IBAN GB82WEST12345698765432 ok", "IBAN [IBAN] ok")]
    [InlineData("card 4111 1111 1111 1111 expires", "card [CARD] expires")]
    [InlineData("card 5500-0000-0000-0004", "card [CARD]")]
    [InlineData("host 192.168.0.17 answered", "host [IP] answered")]
    [InlineData("v6 2001:db8::8a2e:370:7334 up", "v6 [IP] up")]
    [InlineData("v6 ::1 loopback", "v6 [IP] loopback")]
    [InlineData("call +49 30 1234567 today", "call [PHONE] today")]
    [InlineData("call (030) 123-4567 today", "call [PHONE] today")]
    [InlineData("call 555-123-4567", "call [PHONE]")]
    [InlineData("call 015112345678", "call [PHONE]")]
    public void Replaces_personal_data_with_a_typed_placeholder(string input, string expected) =>
        Assert.Equal(expected, PiiRedactor.Redact(input).Text);

    [Theory]
    [InlineData("released on 2026-11-23 at 12:30:45")]
    [InlineData("version 1.2.3 and 1.2.3.4.5")]
    [InlineData("IBAN DE00 3704 0044 0532 0130 00 has a bad checksum")]
    [InlineData("card 4111 1111 1111 1112 fails Luhn")]
    [InlineData("ip 300.1.2.3 is not an address")]
    [InlineData("order 1234567 shipped, total 99.95")]
    [InlineData("ratio 3:4:5, scopes a::b and std::map")]
    [InlineData("no @ here, user@localhost has no domain")]
    public void Leaves_ordinary_text_and_near_misses_alone(string input) =>
        Assert.Equal(input, PiiRedactor.Redact(input).Text);

    [Fact]
    public void Counts_each_kind_it_replaced()
    {
        var redaction = PiiRedactor.Redact("a@b.io, c@d.io, 10.0.0.1, +1 415 555 2671, 4111111111111111, DE89370400440532013000");
        Assert.Equal(2, redaction.Counts[PiiKind.Email]);
        Assert.Equal(1, redaction.Counts[PiiKind.IpAddress]);
        Assert.Equal(1, redaction.Counts[PiiKind.Phone]);
        Assert.Equal(1, redaction.Counts[PiiKind.CardNumber]);
        Assert.Equal(1, redaction.Counts[PiiKind.Iban]);
        Assert.Equal(6, redaction.Total);
        Assert.Equal("[EMAIL], [EMAIL], [IP], [PHONE], [CARD], [IBAN]", redaction.Text);
    }

    [Fact]
    public void A_card_number_is_never_half_redacted_as_a_phone()
    {
        Assert.Equal("[CARD]", PiiRedactor.Redact("4111-1111-1111-1111").Text);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Empty_input_gives_empty_output_and_zero_counts(string? input)
    {
        var redaction = PiiRedactor.Redact(input);
        Assert.Equal("", redaction.Text);
        Assert.Equal(0, redaction.Total);
    }

    [Theory]
    [InlineData("DE89370400440532013000", true)]
    [InlineData("GB82WEST12345698765432", true)]
    [InlineData("GB82WEST12345698765433", false)]
    [InlineData("DE89", false)]
    [InlineData("de89370400440532013000", false)]
    public void Iban_checksum_follows_iso_13616(string iban, bool valid) => Assert.Equal(valid, PiiRedactor.IsValidIban(iban));

    [Theory]
    [InlineData("4111111111111111", true)]
    [InlineData("79927398713", false)] // Luhn-valid but too short for a card
    [InlineData("4111111111111112", false)]
    [InlineData("378282246310005", true)]
    public void Card_numbers_need_13_to_19_digits_passing_luhn(string number, bool valid) => Assert.Equal(valid, PiiRedactor.PassesLuhn(number));
}
