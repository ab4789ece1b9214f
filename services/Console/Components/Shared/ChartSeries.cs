namespace DomainPlatform.Console.Components.Shared;

/// <summary>One line of a <see cref="LineChart"/>: its name, colour and points (x ascending).</summary>
public sealed record LineSeries(string Name, string Color, IReadOnlyList<(double X, double Y)> Points, bool Steps = false);

/// <summary>One row of an <see cref="IntervalChart"/>: an estimate with its interval.</summary>
public sealed record IntervalRow(string Label, double Estimate, double Lower, double Upper, bool Highlight);

/// <summary>Nice axis ticks for a range.</summary>
public static class Axis
{
    public static (double Min, double Max, IReadOnlyList<double> Ticks) Ticks(double min, double max, int count = 5)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max)) (min, max) = (0, 1);
        if (max - min < 1e-12) (min, max) = (min - Math.Max(1, Math.Abs(min)) * 0.5, max + Math.Max(1, Math.Abs(max)) * 0.5);
        var raw = (max - min) / count;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1, 2, 2.5, 5, 10 }.Select(m => m * magnitude).First(s => s >= raw);
        var lo = Math.Floor(min / step) * step;
        var hi = Math.Ceiling(max / step) * step;
        var ticks = new List<double>();
        for (var t = lo; t <= hi + step / 2; t += step) ticks.Add(Math.Round(t, 10));
        return (lo, hi, ticks);
    }

    private static readonly double[] TimeSteps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

    /// <summary>Ticks of a time axis (Unix seconds) on whole seconds, minutes, quarter hours, hours or days, so that clock labels read round.</summary>
    public static (double Min, double Max, IReadOnlyList<double> Ticks) TimeTicks(double min, double max, int count = 5)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max)) return Ticks(min, max, count);
        if (max - min < 1) (min, max) = (min - 30, max + 30);
        var raw = (max - min) / count;
        var step = TimeSteps.FirstOrDefault(s => s >= raw, Math.Ceiling(raw / 86400) * 86400);
        var lo = Math.Floor(min / step) * step;
        var hi = Math.Ceiling(max / step) * step;
        var ticks = new List<double>();
        for (var t = lo; t <= hi + step / 2; t += step) ticks.Add(t);
        return (lo, hi, ticks);
    }

    public static string Label(double value) => Math.Abs(value) switch
    {
        0 => "0",
        >= 10_000 => value.ToString("0.#e0", System.Globalization.CultureInfo.InvariantCulture),
        >= 100 => value.ToString("0", System.Globalization.CultureInfo.InvariantCulture),
        >= 1 => value.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture),
    };
}
