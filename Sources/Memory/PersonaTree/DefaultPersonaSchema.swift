// The default self-schema of a simulated person, embedded so that it is available wherever the
// binary runs. Scenarios/memory/persona-tree.json is the same text (a test keeps them identical).

extension TreeSchema {
    /// The text of the default self-schema `agora.person.v1` (Scenarios/memory/persona-tree.json):
    /// identity, life situation, personality, preferences, beliefs, relationships, recent
    /// experiences and beliefs about others.
    public static let defaultPersonaText = #"""
        {
          "schemaID": "agora.person.v1",
          "description": "Default self-schema of a simulated person: what the agent knows about itself. Leaves with a \"seed\" list are filled from the persona's attributes of those names and locked (persona core). beliefsAbout holds one grown branch per other participant id.",
          "children": [
            {
              "key": "identity",
              "description": "Who the person is: persona-core facts, locked at seeding.",
              "children": [
                {
                  "key": "name",
                  "seed": [
                    "name",
                    "full_name",
                    "first_name"
                  ]
                },
                {
                  "key": "age",
                  "seed": [
                    "age",
                    "age_years"
                  ]
                },
                {
                  "key": "ageGroup",
                  "seed": [
                    "age_group",
                    "age_band",
                    "agegroup"
                  ]
                },
                {
                  "key": "gender",
                  "seed": [
                    "gender",
                    "sex"
                  ]
                },
                {
                  "key": "location",
                  "seed": [
                    "location",
                    "city",
                    "region",
                    "state",
                    "country_of_residence"
                  ]
                },
                {
                  "key": "nationality",
                  "seed": [
                    "nationality",
                    "citizenship",
                    "country"
                  ]
                },
                {
                  "key": "ethnicity",
                  "seed": [
                    "ethnicity",
                    "race"
                  ]
                },
                {
                  "key": "languages",
                  "seed": [
                    "languages",
                    "language"
                  ]
                },
                {
                  "key": "education",
                  "seed": [
                    "education",
                    "education_level",
                    "degree"
                  ]
                },
                {
                  "key": "occupation",
                  "seed": [
                    "occupation",
                    "job",
                    "profession",
                    "employment"
                  ]
                },
                {
                  "key": "narrative",
                  "description": "The persona's free-text description."
                }
              ]
            },
            {
              "key": "lifeSituation",
              "description": "Circumstances that change slowly.",
              "children": [
                {
                  "key": "household",
                  "seed": [
                    "household",
                    "household_size",
                    "living_situation"
                  ]
                },
                {
                  "key": "maritalStatus",
                  "seed": [
                    "marital_status",
                    "relationship_status"
                  ]
                },
                {
                  "key": "children",
                  "seed": [
                    "children",
                    "kids",
                    "number_of_children"
                  ]
                },
                {
                  "key": "income",
                  "seed": [
                    "income",
                    "income_band",
                    "household_income"
                  ]
                },
                {
                  "key": "housing",
                  "seed": [
                    "housing",
                    "home_ownership",
                    "tenure"
                  ]
                },
                {
                  "key": "work",
                  "seed": [
                    "work",
                    "employer",
                    "industry",
                    "work_status"
                  ]
                },
                {
                  "key": "health",
                  "seed": [
                    "health",
                    "health_status"
                  ]
                },
                {
                  "key": "dailyRoutine"
                },
                {
                  "key": "finances"
                },
                {
                  "key": "currentGoals"
                },
                {
                  "key": "currentWorries"
                }
              ]
            },
            {
              "key": "personality",
              "children": [
                {
                  "key": "traits",
                  "seed": [
                    "personality",
                    "traits",
                    "big_five"
                  ]
                },
                {
                  "key": "temperament"
                },
                {
                  "key": "values",
                  "seed": [
                    "values"
                  ]
                },
                {
                  "key": "communicationStyle",
                  "seed": [
                    "communication_style",
                    "speaking_style"
                  ]
                },
                {
                  "key": "quirks"
                }
              ]
            },
            {
              "key": "preferences",
              "children": [
                {
                  "key": "food",
                  "seed": [
                    "diet",
                    "food"
                  ]
                },
                {
                  "key": "media"
                },
                {
                  "key": "hobbies",
                  "seed": [
                    "hobbies",
                    "interests"
                  ]
                },
                {
                  "key": "brands"
                },
                {
                  "key": "shopping"
                },
                {
                  "key": "travel"
                },
                {
                  "key": "technology",
                  "seed": [
                    "tech_savviness",
                    "technology"
                  ]
                },
                {
                  "key": "dislikes"
                }
              ]
            },
            {
              "key": "beliefs",
              "children": [
                {
                  "key": "politics",
                  "seed": [
                    "politics",
                    "political_views",
                    "party"
                  ]
                },
                {
                  "key": "religion",
                  "seed": [
                    "religion",
                    "religiosity"
                  ]
                },
                {
                  "key": "society"
                },
                {
                  "key": "technology"
                },
                {
                  "key": "money"
                },
                {
                  "key": "health"
                }
              ]
            },
            {
              "key": "relationships",
              "children": [
                {
                  "key": "family"
                },
                {
                  "key": "partner"
                },
                {
                  "key": "friends"
                },
                {
                  "key": "colleagues"
                },
                {
                  "key": "community"
                }
              ]
            },
            {
              "key": "recentExperiences",
              "description": "What happened to the person lately, including what they said in conversations.",
              "children": [
                {
                  "key": "events"
                },
                {
                  "key": "purchases"
                },
                {
                  "key": "conversations"
                },
                {
                  "key": "opinionsExpressed"
                }
              ]
            },
            {
              "key": "beliefsAbout",
              "description": "What the person believes about other participants, one branch per participant id (grown).",
              "children": []
            }
          ]
        }
        """#

    /// The default self-schema, parsed from ``defaultPersonaText``.
    public static func defaultPersona() throws(MemoryError) -> TreeSchema {
        try parse(defaultPersonaText, file: "agora.person.v1 (built in)")
    }
}
