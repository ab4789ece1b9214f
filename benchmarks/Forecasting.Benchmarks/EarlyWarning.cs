using DomainPlatform.Statistics.Forecasting;

namespace DomainPlatform.Forecasting.Benchmarks;

/// <summary>
/// The detectors under test, one configuration for every stream: 96 quarter-hour slots of a day (15 one-minute
/// samples each), so the daily cycle is part of the baseline.
/// </summary>
public sealed class EarlyWarning
{
    public static readonly SeasonalSlots QuarterHoursOfDay = new(96, 15);

    /// <summary>Minutes ahead the forecast is asked about.</summary>
    public const int HorizonMinutes = 120;

    /// <summary>Consecutive samples whose forecast must cross before it warns.</summary>
    public const int Confirmations = 3;

    private readonly CusumDetector cusum = new(new DetectorSettings { Slots = QuarterHoursOfDay, BaselineSmoothing = 0.02 });
    private readonly EwmaDetector ewma = new(new DetectorSettings { Slots = QuarterHoursOfDay, BaselineSmoothing = 0.02 }, smoothing: 0.2, limitInSigmas: 4);
    private readonly HoltWintersForecaster forecaster = new(QuarterHoursOfDay, new ForecastSmoothing(Level: 0.2, Trend: 0.1, Season: 0.1));
    private readonly double criticalLimit;
    private readonly HoltWintersForecaster robustForecaster = new(QuarterHoursOfDay, new ForecastSmoothing(Level: 0.2, Trend: 0.1, Season: 0.1), outlierLimit: 2);
    private int crossingRun;
    private int robustCrossingRun;

    public EarlyWarning(double criticalLimit) => this.criticalLimit = criticalLimit;

    /// <summary>(CUSUM alarmed upward, the EWMA chart did, the forecast warned) for this sample.</summary>
    public (bool Change, bool Ewma, bool Forecast, bool RobustForecast) Observe(double value)
    {
        var change = cusum.Observe(value).Alarm == ChangeDirection.Up;
        var drift = ewma.Observe(value).Alarm == ChangeDirection.Up;
        forecaster.Observe(value);
        crossingRun = forecaster.StepsUntilCrossing(criticalLimit, HorizonMinutes) is null ? 0 : crossingRun + 1;
        robustForecaster.Observe(value);
        robustCrossingRun = robustForecaster.StepsUntilCrossing(criticalLimit, HorizonMinutes) is null ? 0 : robustCrossingRun + 1;
        return (change, drift, crossingRun == Confirmations, robustCrossingRun == Confirmations);
    }
}
