using SeqLab.Data.Synthetic;
using SeqLab.Models;
using SeqLab.Models.Recurrent;

namespace SeqLab.Tests;

/// <summary>Small models the tests share.</summary>
static class TestModels
{
    /// <summary>A many-to-one recurrent regressor for the adding problem.</summary>
    public static SequenceModel Regressor(RecurrentKind kind, int hidden, int features = AddingProblem.Features) =>
        new(new SequenceModelOptions(InputOptions.ForFeatures(features), new RecurrentOptions(kind, hidden), new HeadOptions(TaskKind.SequenceRegression, 1)));
}
