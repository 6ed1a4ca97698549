namespace LoraPipeline.Platform;

/// <summary>
/// Money is decimal everywhere and rounded to cents only at the documented points (an estimate's
/// totals, a job's current and final cost, a cost record), half away from zero.
/// </summary>
public static class Money
{
    public static decimal Cents(decimal amount) => Math.Round(amount, 2, MidpointRounding.AwayFromZero);
}
