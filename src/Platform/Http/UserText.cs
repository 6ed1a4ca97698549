namespace LoraPipeline.Platform.Http;

/// <summary>Names and descriptions users type: shown in lists and notifications, stored as JSON.</summary>
public static class UserText
{
    /// <summary>
    /// Trims and removes control characters but line breaks and tabs: escape sequences would repaint a
    /// terminal, and PostgreSQL refuses U+0000 in JSON outright.
    /// </summary>
    public static string Clean(string value) =>
        new(value.Trim().Where(c => !char.IsControl(c) || c is '\n' or '\t').ToArray());
}
