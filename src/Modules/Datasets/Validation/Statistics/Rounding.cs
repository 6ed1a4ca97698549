namespace LoraPipeline.Datasets.Validation;

internal static class Rounding
{
    /// <summary>numerator / denominator to 2 decimals, half away from zero (as people round); 0 when nothing was counted.</summary>
    public static decimal TwoDecimals(long numerator, long denominator) =>
        denominator == 0 ? 0m : Math.Round((decimal)numerator / denominator, 2, MidpointRounding.AwayFromZero);
}
