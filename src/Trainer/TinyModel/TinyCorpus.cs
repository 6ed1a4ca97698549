namespace LoraPipeline.Trainer.TinyModel;

/// <summary>
/// The text the tiny model's tokenizer learns its merges from: everyday English, chat-style questions
/// and answers, and a gazetteer of countries and capitals, so that demo datasets tokenize compactly.
/// </summary>
internal static class TinyCorpus
{
    public static readonly IReadOnlyList<(string Country, string Capital)> Capitals =
    [
        ("France", "Paris"), ("Germany", "Berlin"), ("Italy", "Rome"), ("Spain", "Madrid"), ("Portugal", "Lisbon"),
        ("Norway", "Oslo"), ("Sweden", "Stockholm"), ("Finland", "Helsinki"), ("Denmark", "Copenhagen"), ("Poland", "Warsaw"),
        ("Austria", "Vienna"), ("Greece", "Athens"), ("Ireland", "Dublin"), ("Hungary", "Budapest"), ("Egypt", "Cairo"),
        ("Kenya", "Nairobi"), ("Japan", "Tokyo"), ("China", "Beijing"), ("India", "Delhi"), ("Peru", "Lima"),
        ("Chile", "Santiago"), ("Cuba", "Havana"), ("Canada", "Ottawa"), ("Mexico", "Mexico City"), ("Russia", "Moscow"),
        ("Turkey", "Ankara"), ("Iran", "Tehran"), ("Iraq", "Baghdad"), ("Thailand", "Bangkok"), ("Vietnam", "Hanoi"),
        ("Belgium", "Brussels"), ("Netherlands", "Amsterdam"), ("Switzerland", "Bern"), ("Czechia", "Prague"), ("Romania", "Bucharest"),
        ("Argentina", "Buenos Aires"), ("Brazil", "Brasilia"), ("Colombia", "Bogota"), ("Australia", "Canberra"), ("Nigeria", "Abuja"),
    ];

    private const string Prose = """
        The quick brown fox jumps over the lazy dog. A journey of a thousand miles begins with a single step.
        You are a helpful assistant. Answer the question in one word. Please answer briefly and clearly.
        What is the capital of the country? The capital of the country is its largest city in many cases, but not always.
        Hello! How are you today? I am fine, thank you. What can I do for you? Tell me about the weather.
        The weather is sunny and warm, with a light wind from the west. It will rain tomorrow in the morning.
        Learning a new language takes time and practice. Read a little every day and write down new words.
        The model reads the question and writes the answer. Training makes the answers better over time.
        Numbers: 0 1 2 3 4 5 6 7 8 9 10 11 12 20 25 50 100 1000. Two plus two is four. Ten minus three is seven.
        Monday, Tuesday, Wednesday, Thursday, Friday, Saturday and Sunday are the days of the week.
        Red, green, blue, yellow, black and white are colours. The sky is blue and the grass is green.
        Water boils at one hundred degrees. The sun rises in the east and sets in the west.
        Question: Who wrote the letter? Answer: The teacher wrote the letter to the students.
        She said that the train would leave at seven, so we should be at the station early.
        They have been working on the project for three weeks and it is almost done.
        The system message sets the rules, the user asks, and the assistant answers the user.
        """;

    public static string Text()
    {
        var lines = new List<string> { Prose };
        foreach (var (country, capital) in Capitals)
        {
            lines.Add($"What is the capital of {country}? The capital of {country} is {capital}. {capital} is in {country}.");
        }

        return string.Join('\n', lines);
    }
}
