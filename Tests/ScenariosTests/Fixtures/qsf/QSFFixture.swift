// A Qualtrics survey export (.qsf) written by hand for the QSF tests, from Qualtrics' documented
// format (SurveyEntry; SurveyElements: BL blocks, FL flow, one SQ per question). Not a real survey.
enum QSFFixture {
    static let commute = #"""
        {
         "SurveyEntry": {
          "SurveyID": "SV_fixture01",
          "SurveyName": "Commuting habits (fixture)",
          "SurveyDescription": null,
          "SurveyOwnerID": "UR_fixture",
          "SurveyBrandID": "fixture",
          "DivisionID": null,
          "SurveyLanguage": "EN",
          "SurveyActiveResponseSet": "RS_fixture",
          "SurveyStatus": "Inactive"
         },
         "SurveyElements": [
          {
           "SurveyID": "SV_fixture01",
           "Element": "BL",
           "PrimaryAttribute": "Survey Blocks",
           "SecondaryAttribute": null,
           "TertiaryAttribute": null,
           "Payload": [
            {
             "Type": "Default",
             "Description": "Commute",
             "ID": "BL_1",
             "BlockElements": [
              {
               "Type": "Question",
               "QuestionID": "QID1"
              },
              {
               "Type": "Question",
               "QuestionID": "QID2"
              },
              {
               "Type": "Question",
               "QuestionID": "QID3"
              },
              {
               "Type": "Question",
               "QuestionID": "QID4"
              },
              {
               "Type": "Question",
               "QuestionID": "QID5"
              },
              {
               "Type": "Question",
               "QuestionID": "QID6"
              },
              {
               "Type": "Question",
               "QuestionID": "QID7"
              },
              {
               "Type": "Page Break"
              },
              {
               "Type": "Question",
               "QuestionID": "QID8"
              },
              {
               "Type": "Question",
               "QuestionID": "QID9"
              },
              {
               "Type": "Question",
               "QuestionID": "QID10"
              },
              {
               "Type": "Question",
               "QuestionID": "QID11"
              },
              {
               "Type": "Question",
               "QuestionID": "QID12"
              },
              {
               "Type": "Question",
               "QuestionID": "QID13"
              },
              {
               "Type": "Question",
               "QuestionID": "QID14"
              }
             ]
            },
            {
             "Type": "Standard",
             "Description": "Extra",
             "ID": "BL_2",
             "BlockElements": [
              {
               "Type": "Question",
               "QuestionID": "QID15"
              }
             ]
            }
           ]
          },
          {
           "SurveyID": "SV_fixture01",
           "Element": "FL",
           "PrimaryAttribute": "Survey Flow",
           "SecondaryAttribute": null,
           "TertiaryAttribute": null,
           "Payload": {
            "Type": "Root",
            "FlowID": "FL_1",
            "Flow": [
             {
              "Type": "EmbeddedData",
              "FlowID": "FL_5",
              "EmbeddedData": [
               {
                "Description": "region",
                "Type": "Recipient",
                "Field": "region"
               }
              ]
             },
             {
              "Type": "Block",
              "ID": "BL_1",
              "FlowID": "FL_2"
             },
             {
              "Type": "Randomizer",
              "FlowID": "FL_3",
              "SubSet": 1,
              "Flow": [
               {
                "Type": "Block",
                "ID": "BL_2",
                "FlowID": "FL_4"
               }
              ]
             }
            ],
            "Properties": {
             "Count": 5
            }
           }
          },
          {
           "SurveyID": "SV_fixture01",
           "Element": "SQ",
           "PrimaryAttribute": "QID1",
           "SecondaryAttribute": "<div>Please think about your usual <b>weekday</b> commute.</div>",
           "TertiaryAttribute": null,
           "Payload": {
            "QuestionText": "<div>Please think about your usual <b>weekday</b> commute.</div>",
            "DataExportTag": "intro",
            "QuestionType": "DB",
            "Selector": "TB",
            "Configuration": {
             "QuestionDescriptionOption": "UseText"
            },
            "QuestionDescription": "<div>Please think about your usual <b>weekday</b> commute.</div>",
            "Language": [],
            "QuestionID": "QID1"
           }
          },
          {
           "SurveyID": "SV_fixture01",
           "Element": "SQ",
           "PrimaryAttribute": "QID2",
           "SecondaryAttribute": "Do you own a car?",
           "TertiaryAttribute": null,
           "Payload": {
            "QuestionText": "Do you own a car?",
            "DataExportTag": "car",
            "QuestionType": "MC",
            "Selector": "SAVR",
            "Configuration": {
             "QuestionDescriptionOption": "UseText"
            },
            "QuestionDescription": "Do you own a car?",
            "Language": [],
            "QuestionID": "QID2",
            "Choices": {
             "1": {
              "Display": "Yes"
             },
             "2": {
              "Display": "No"
             }
            },
            "ChoiceOrder": [
             "1",
             "2"
            ],
            "SubSelector": "TX",
            "SkipLogic": [
             {
              "SkipLogicID": "SL_1",
              "ChoiceLocator": "q://QID2/SelectableChoice/2",
              "Condition": "Selected",
              "SkipToDestination": "QID6",
              "SkipToDescription": "Why",
              "Description": "If No, skip to why",
              "QuestionID": "QID2"
             }
            ]
           }
          },
          {
           "SurveyID": "SV_fixture01",
           "Element": "SQ",
           "PrimaryAttribute": "QID3",
           "SecondaryAttribute": "Which brand is it?",
           "TertiaryAttribute": null,
           "Payload": {
            "QuestionText": "Which brand is it?",
            "DataExportTag": "brand",
            "QuestionType": "MC",
            "Selector": "SAVR",
            "Configuration": {
             "QuestionDescriptionOption": "UseText"
            },
            "QuestionDescription": "Which brand is it?",
            "Language": [],
            "QuestionID": "QID3",
            "Choices": {
             "1": {
              "Display": "Ford"
             },
             "2": {
              "Display": "Toyota"
             },
             "3": {
              "Display": "Honda"
             }
            },
            "ChoiceOrder": [
             "1",
             "2",
             "3"
            ],
            "SubSelector": "TX"
           }
          },
          {
           "SurveyID": "SV_fixture01",
           "Element": "SQ",
           "PrimaryAttribute": "QID4",
           "SecondaryAttribute": "How satisfied are you with your ${q://QID3/ChoiceGroup/SelectedChoices}?",
           "TertiaryAttribute": null,
           "Payload": {
            "QuestionText": "How satisfied are you with your ${q://QID3/ChoiceGroup/SelectedChoices}?",
            "DataExportTag": "satisfied",
            "QuestionType": "MC",
            "Selector": "SAVR",
            "Configuration": {
             "QuestionDescriptionOption": "UseText"
            },
            "QuestionDescription": "How satisfied are you with your ${q://QID3/ChoiceGroup/SelectedChoices}?",
            "Language": [],
            "QuestionID": "QID4",
            "Choices": {
             "1": {
              "Display": "Very dissatisfied"
             },
             "2": {
              "Display": "Dissatisfied"
             },
             "3": {
              "Display": "Neutral"
             },
             "4": {
              "Display": "Satisfied"
             },
             "5": {
              "Display": "Very satisfied"
             }
            },
            "ChoiceOrder": [
             "1",
             "2",
             "3",
             "4",
             "5"
            ],
            "SubSelector": "TX",
            "RecodeValues": {
             "1": "1",
             "2": "2",
             "3": "3",
             "4": "4",
             "5": "5"
            }
           }
          },
          {
           "SurveyID": "SV_fixture01",
           "Element": "SQ",
           "PrimaryAttribute": "QID5",
           "SecondaryAttribute": "Which other ways do you get around?",
           "TertiaryAttribute": null,
           "Payload": {
            "QuestionText": "Which other ways do you get around?",
            "DataExportTag": "modes",
            "QuestionType": "MC",
            "Selector": "MAVR",
            "Configuration": {
             "QuestionDescriptionOption": "UseText"
            },
            "QuestionDescription": "Which other ways do you get around?",
            "Language": [],
            "QuestionID": "QID5",
            "Choices": {
             "1": {
              "Display": "Bus"
             },
             "2": {
              "Display": "Train"
             },
             "3": {
              "Display": "Bike"
             }
            },
            "ChoiceOrder": [
             "1",
             "2",
             "3"
            ],
            "SubSelector": "TX",
            "Validation": {
             "Settings": {
              "ForceResponse": "OFF",
              "ForceResponseType": "ON",
              "Type": "ChoiceRange",
              "MinChoices": "1",
              "MaxChoices": "2"
             }
            }
           }
          },
          {
           "SurveyID": "SV_fixture01",
           "Element": "SQ",
           "PrimaryAttribute": "QID6",
           "SecondaryAttribute": "Why do you commute this way, ${e://Field/name}? ${gr://SC_1/Score}",
           "TertiaryAttribute": null,
           "Payload": {
            "QuestionText": "Why do you commute this way, ${e://Field/name}? ${gr://SC_1/Score}",
            "DataExportTag": "why",
            "QuestionType": "TE",
            "Selector": "ESTB",
            "Configuration": {
             "QuestionDescriptionOption": "UseText"
            },
            "QuestionDescription": "Why do you commute this way, ${e://Field/name}? ${gr://SC_1/Score}",
            "Language": [],
            "QuestionID": "QID6"
           }
          },
          {
           "SurveyID": "SV_fixture01",
           "Element": "SQ",
           "PrimaryAttribute": "QID7",
           "SecondaryAttribute": "Which apps help you plan trips?",
           "TertiaryAttribute": null,
           "Payload": {
            "QuestionText": "Which apps help you plan trips?",
            "DataExportTag": "apps",
            "QuestionType": "MC",
            "Selector": "MAVR",
            "Configuration": {
             "QuestionDescriptionOption": "UseText"
            },
            "QuestionDescription": "Which apps help you plan trips?",
            "Language": [],
            "QuestionID": "QID7",
            "Choices": {
             "1": {
              "Display": "Maps"
             },
             "2": {
              "Display": "Transit app"
             },
             "3": {
              "Display": "Other",
              "TextEntry": "true"
             }
            },
            "ChoiceOrder": [
             "1",
             "2",
             "3"
            ],
            "SubSelector": "TX"
           }
          },
          {
           "SurveyID": "SV_fixture01",
           "Element": "SQ",
           "PrimaryAttribute": "QID8",
           "SecondaryAttribute": "How many minutes does your commute take?",
           "TertiaryAttribute": null,
           "Payload": {
            "QuestionText": "How many minutes does your commute take?",
            "DataExportTag": "minutes",
            "QuestionType": "TE",
            "Selector": "SL",
            "Configuration": {
             "QuestionDescriptionOption": "UseText"
            },
            "QuestionDescription": "How many minutes does your commute take?",
            "Language": [],
            "QuestionID": "QID8",
            "Validation": {
             "Settings": {
              "ForceResponse": "OFF",
              "ForceResponseType": "ON",
              "Type": "ContentType",
              "ContentType": "ValidNumber",
              "ValidNumber": {
               "Min": "0",
               "Max": "240",
               "NumDecimals": "0"
              }
             }
            },
            "DisplayLogic": {
             "0": {
              "0": {
               "LogicType": "Question",
               "QuestionID": "QID2",
               "QuestionIsInLoop": "no",
               "ChoiceLocator": "q://QID2/SelectableChoice/1",
               "Operator": "Selected",
               "QuestionIDFromLocator": "QID2",
               "LeftOperand": "q://QID2/SelectableChoice/1",
               "Type": "Expression",
               "Description": "If car Yes is selected"
              },
              "1": {
               "LogicType": "EmbeddedField",
               "LeftOperand": "region",
               "Operator": "EqualTo",
               "RightOperand": "North",
               "Type": "Expression",
               "Description": "Or region is North",
               "Conjuction": "Or"
              },
              "Type": "If"
             },
             "Type": "BooleanExpression",
             "inPage": false
            }
           }
          },
          {
           "SurveyID": "SV_fixture01",
           "Element": "SQ",
           "PrimaryAttribute": "QID9",
           "SecondaryAttribute": "Name up to three words for your commute.",
           "TertiaryAttribute": null,
           "Payload": {
            "QuestionText": "Name up to three words for your commute.",
            "DataExportTag": "words",
            "QuestionType": "TE",
            "Selector": "FORM",
            "Configuration": {
             "QuestionDescriptionOption": "UseText"
            },
            "QuestionDescription": "Name up to three words for your commute.",
            "Language": [],
            "QuestionID": "QID9",
            "Choices": {
             "1": {
              "Display": "1"
             },
             "2": {
              "Display": "2"
             },
             "3": {
              "Display": "3"
             }
            },
            "ChoiceOrder": [
             "1",
             "2",
             "3"
            ]
           }
          },
          {
           "SurveyID": "SV_fixture01",
           "Element": "SQ",
           "PrimaryAttribute": "QID10",
           "SecondaryAttribute": "Rate your commute.",
           "TertiaryAttribute": null,
           "Payload": {
            "QuestionText": "Rate your commute.",
            "DataExportTag": "rate",
            "QuestionType": "Matrix",
            "Selector": "Likert",
            "Configuration": {
             "QuestionDescriptionOption": "UseText"
            },
            "QuestionDescription": "Rate your commute.",
            "Language": [],
            "QuestionID": "QID10",
            "Choices": {
             "1": {
              "Display": "Cost"
             },
             "2": {
              "Display": "Comfort"
             }
            },
            "ChoiceOrder": [
             "1",
             "2"
            ],
            "SubSelector": "SingleAnswer",
            "Answers": {
             "1": {
              "Display": "Poor"
             },
             "2": {
              "Display": "Fair"
             },
             "3": {
              "Display": "Good"
             }
            },
            "AnswerOrder": [
             "1",
             "2",
             "3"
            ]
           }
          },
          {
           "SurveyID": "SV_fixture01",
           "Element": "SQ",
           "PrimaryAttribute": "QID11",
           "SecondaryAttribute": "Rank what matters most.",
           "TertiaryAttribute": null,
           "Payload": {
            "QuestionText": "Rank what matters most.",
            "DataExportTag": "priorities",
            "QuestionType": "RO",
            "Selector": "DND",
            "Configuration": {
             "QuestionDescriptionOption": "UseText"
            },
            "QuestionDescription": "Rank what matters most.",
            "Language": [],
            "QuestionID": "QID11",
            "Choices": {
             "1": {
              "Display": "Speed"
             },
             "2": {
              "Display": "Cost"
             },
             "3": {
              "Display": "Comfort"
             }
            },
            "ChoiceOrder": [
             "1",
             "2",
             "3"
            ],
            "SubSelector": "TX"
           }
          },
          {
           "SurveyID": "SV_fixture01",
           "Element": "SQ",
           "PrimaryAttribute": "QID12",
           "SecondaryAttribute": "Split 100 points of your commute budget.",
           "TertiaryAttribute": null,
           "Payload": {
            "QuestionText": "Split 100 points of your commute budget.",
            "DataExportTag": "budget",
            "QuestionType": "CS",
            "Selector": "VRTL",
            "Configuration": {
             "QuestionDescriptionOption": "UseText"
            },
            "QuestionDescription": "Split 100 points of your commute budget.",
            "Language": [],
            "QuestionID": "QID12",
            "Choices": {
             "1": {
              "Display": "Fuel"
             },
             "2": {
              "Display": "Parking"
             },
             "3": {
              "Display": "Tolls"
             }
            },
            "ChoiceOrder": [
             "1",
             "2",
             "3"
            ],
            "Validation": {
             "Settings": {
              "ForceResponse": "OFF",
              "Type": "ChoicesTotal",
              "ChoiceTotal": "100"
             }
            }
           }
          },
          {
           "SurveyID": "SV_fixture01",
           "Element": "SQ",
           "PrimaryAttribute": "QID13",
           "SecondaryAttribute": "How stressful is your commute?",
           "TertiaryAttribute": null,
           "Payload": {
            "QuestionText": "How stressful is your commute?",
            "DataExportTag": "stress",
            "QuestionType": "Slider",
            "Selector": "HSLIDER",
            "Configuration": {
             "QuestionDescriptionOption": "UseText",
             "CSSliderMin": 0,
             "CSSliderMax": 10,
             "GridLines": 10,
             "SnapToGrid": true,
             "NumDecimals": "0"
            },
            "QuestionDescription": "How stressful is your commute?",
            "Language": [],
            "QuestionID": "QID13",
            "Choices": {
             "1": {
              "Display": ""
             }
            },
            "ChoiceOrder": [
             "1"
            ],
            "Labels": {
             "1": {
              "Display": "Calm"
             },
             "2": {
              "Display": "Stressed"
             }
            }
           }
          },
          {
           "SurveyID": "SV_fixture01",
           "Element": "SQ",
           "PrimaryAttribute": "QID14",
           "SecondaryAttribute": "Would you take part in a survey like this again?",
           "TertiaryAttribute": null,
           "Payload": {
            "QuestionText": "Would you take part in a survey like this again?",
            "DataExportTag": "again",
            "QuestionType": "MC",
            "Selector": "SAVR",
            "Configuration": {
             "QuestionDescriptionOption": "UseText"
            },
            "QuestionDescription": "Would you take part in a survey like this again?",
            "Language": [],
            "QuestionID": "QID14",
            "Choices": {
             "1": {
              "Display": "Yes"
             },
             "2": {
              "Display": "No"
             }
            },
            "ChoiceOrder": [
             "1",
             "2"
            ],
            "SubSelector": "TX",
            "SkipLogic": [
             {
              "SkipLogicID": "SL_2",
              "ChoiceLocator": "q://QID14/SelectableChoice/2",
              "Condition": "Selected",
              "SkipToDestination": "ENDOFSURVEY",
              "SkipToDescription": "End of Survey",
              "Description": "If No, end",
              "QuestionID": "QID14"
             }
            ]
           }
          },
          {
           "SurveyID": "SV_fixture01",
           "Element": "SQ",
           "PrimaryAttribute": "QID15",
           "SecondaryAttribute": "Click where you live.",
           "TertiaryAttribute": null,
           "Payload": {
            "QuestionText": "Click where you live.",
            "DataExportTag": "map",
            "QuestionType": "HeatMap",
            "Selector": "OnePoint",
            "Configuration": {
             "QuestionDescriptionOption": "UseText"
            },
            "QuestionDescription": "Click where you live.",
            "Language": [],
            "QuestionID": "QID15"
           }
          }
         ]
        }
        """#
}
