using System.Text;
using LoraPipeline.Datasets.Validation;
using Xunit;
using static LoraPipeline.Datasets.Tests.Validation.ValidationTestKit;

namespace LoraPipeline.Datasets.Tests.Validation;

/// <summary>The fast counter must give exactly the tokenizer's own counts.</summary>
public sealed class TokenCountingTests
{
    [Theory]
    [InlineData("Hello world")]
    [InlineData("")]
    [InlineData("   \n\n  \t")]
    [InlineData("It's 2024; they'll say \"we've 1234567 items\"!")]
    [InlineData("def f(x):\n\treturn x ** 2  # squared\r\n")]
    [InlineData("Caf\u00e9 na\u00efve \u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 \ud83d\ude00\ud83d\ude00 \u2192 \u00bd")]
    [InlineData("a <|endoftext|> b <|fim_prefix|>c<|endofprompt|>")]
    [InlineData("supercalifragilisticexpialidocious_and_an_even_longer_identifier_without_spaces_0123456789")]
    [InlineData("trailing spaces   ")]
    [InlineData("URL https://example.com/a?b=c&d=e#f and e-mail someone@example.org")]
    public void Counts_equal_the_tokenizer_on_tricky_text(string text)
    {
        var counter = Counters.CreateCounter();

        Assert.Equal(Cl100k.CountTokens(text), counter.CountTokens(text));
        Assert.Equal(Cl100k.CountTokens(text), counter.CountTokens(text)); // again, from its word cache
    }

    [Fact]
    public void Counts_equal_the_tokenizer_on_random_text_even_after_the_word_cache_is_emptied()
    {
        var random = new Random(11);
        const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789 .,;:'\"!?()[]{}<>|_-+*/\\\n\t\u00e9\u00fc\u4e2d\u6587";
        var counter = new TiktokenTokenCounter(
            Microsoft.ML.Tokenizers.TiktokenTokenizer.CreateForEncoding("cl100k_base"), TiktokenPatterns.Cl100kBase, maxCachedWords: 50);
        var texts = Enumerable.Range(0, 3000).Select(_ =>
        {
            var builder = new StringBuilder();
            var length = random.Next(1, 400);
            for (var i = 0; i < length; i++)
            {
                builder.Append(alphabet[random.Next(alphabet.Length)]);
            }

            return builder.ToString();
        }).ToList();

        // The texts hold far more than 50 distinct words, so the cache is emptied many times on the way.
        Assert.Equal(texts.Sum(t => (long)Cl100k.CountTokens(t)), texts.Sum(t => (long)counter.CountTokens(t)));
    }
}
