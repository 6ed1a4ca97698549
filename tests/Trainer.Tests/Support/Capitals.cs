using System.Text.Json;
using LoraPipeline.Trainer.Data;

namespace LoraPipeline.Trainer.Tests.Support;

/// <summary>The synthetic question-answer set: "Capital of X?" / "Y" for 20 countries, in the platform's chat format.</summary>
public static class Capitals
{
    public static readonly IReadOnlyList<(string Country, string Capital)> Pairs =
    [
        ("France", "Paris"), ("Germany", "Berlin"), ("Italy", "Rome"), ("Spain", "Madrid"), ("Portugal", "Lisbon"),
        ("Norway", "Oslo"), ("Sweden", "Stockholm"), ("Finland", "Helsinki"), ("Denmark", "Copenhagen"), ("Poland", "Warsaw"),
        ("Austria", "Vienna"), ("Greece", "Athens"), ("Ireland", "Dublin"), ("Hungary", "Budapest"), ("Egypt", "Cairo"),
        ("Kenya", "Nairobi"), ("Japan", "Tokyo"), ("China", "Beijing"), ("India", "Delhi"), ("Peru", "Lima"),
    ];

    public static string Question(string country) => $"Capital of {country}?";

    /// <summary>brightrun_lora_v4 lines, optionally with validation copies of the first few.</summary>
    public static string WriteDataset(string path, int validation = 0)
    {
        using var writer = new StreamWriter(path);
        foreach (var (country, capital) in Pairs)
        {
            writer.WriteLine(Line(country, capital, null));
        }

        foreach (var (country, capital) in Pairs.Take(validation))
        {
            writer.WriteLine(Line(country, capital, "validation"));
        }

        return path;
    }

    public static List<ChatMessage> Prompt(string country) => [new ChatMessage("user", Question(country))];

    private static string Line(string country, string capital, string? split)
    {
        var messages = new object[]
        {
            new { role = "user", content = Question(country) },
            new { role = "assistant", content = capital },
        };
        return split is null
            ? JsonSerializer.Serialize(new { messages })
            : JsonSerializer.Serialize(new { messages, split });
    }
}
