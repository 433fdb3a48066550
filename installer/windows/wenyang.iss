; Inno Setup script for Wenyang (纹样): installs the one-folder PyInstaller bundle.
;
;   iscc installer\windows\wenyang.iss                      (the viewer bundle)
;   iscc /DVariant=full installer\windows\wenyang.iss       (the full bundle)
;
; Needs Inno Setup 6.5 or later (its Chinese Simplified messages are official from 6.5; with
; an older 6.x put ChineseSimplified.isl from jrsoftware.org/files/istrans next to this file).
; Build the bundle first: installer\windows\build_windows.ps1 runs PyInstaller and then this script.
; This file is UTF-8 with a byte-order mark: Inno Setup reads a file without one as ANSI.

#ifndef Variant
  #define Variant "viewer"
#endif
; The folder the spec's COLLECT step writes (APP_NAME in installer/wenyang.spec).
#define BundleName "Wenyang"
#define DistDir "..\..\dist\" + Variant + "\" + BundleName
#define GuiExe "wenyang-gui.exe"
#define CliExe "wenyang.exe"
#if !FileExists(AddBackslash(SourcePath) + DistDir + "\" + GuiExe)
  #error No bundle in dist\VARIANT\Wenyang: build it first (installer\windows\build_windows.ps1)
#endif
#ifndef AppVersion
  ; The spec writes ProductVersion into the executables' version resource.
  #define AppVersion GetStringFileInfo(AddBackslash(SourcePath) + DistDir + "\" + GuiExe, "ProductVersion")
#endif

[Setup]
; A fixed AppId: upgrades and the uninstaller find earlier installations by it. Never change it.
AppId={{6B7C3E0A-5D2F-4C8B-9E41-2A7F0D93C5B1}
AppName=Wenyang
AppVerName=Wenyang {#AppVersion}
AppVersion={#AppVersion}
AppPublisher=Wenyang
VersionInfoVersion={#AppVersion}
VersionInfoDescription=Wenyang 纹样 setup
; Per-user by default (no administrator rights: %LOCALAPPDATA%\Programs\Wenyang); the dialog
; (or /ALLUSERS on the command line) installs for all users into Program Files instead.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog commandline
DefaultDirName={autopf}\Wenyang
DefaultGroupName=Wenyang
DisableProgramGroupPage=yes
UsePreviousAppDir=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
WizardStyle=modern
SetupIconFile=..\..\resources\icons\wenyang.ico
UninstallDisplayIcon={app}\{#GuiExe}
UninstallDisplayName=Wenyang {#AppVersion}
OutputDir=..\..\dist\installer
OutputBaseFilename=Wenyang-{#AppVersion}-windows-x64-{#Variant}-setup
Compression=lzma2/max
SolidCompression=yes
ShowLanguageDialog=auto
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "en"; MessagesFile: "compiler:Default.isl"
#if FileExists(CompilerPath + "Languages\ChineseSimplified.isl")
Name: "zh_CN"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"
#elif FileExists(AddBackslash(SourcePath) + "ChineseSimplified.isl")
Name: "zh_CN"; MessagesFile: "ChineseSimplified.isl"
#else
  #error Chinese Simplified setup messages not found: use Inno Setup 6.5+ or put ChineseSimplified.isl next to wenyang.iss
#endif

[CustomMessages]
en.AppComment=Label and search museum costume collections by photo and description
zh_CN.AppComment=以图片和文字描述标注、检索博物馆服饰藏品
en.ShortcutName=Wenyang
zh_CN.ShortcutName=纹样 Wenyang

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[Files]
; The whole folder: wenyang-gui.exe, wenyang.exe and _internal\ (Python, Qt, ONNX Runtime, data).
Source: "{#DistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An upgrade replaces the libraries wholesale: files of an older bundle must not linger in _internal.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\{cm:ShortcutName}"; Filename: "{app}\{#GuiExe}"; WorkingDir: "{app}"; Comment: "{cm:AppComment}"
Name: "{autodesktop}\{cm:ShortcutName}"; Filename: "{app}\{#GuiExe}"; WorkingDir: "{app}"; Comment: "{cm:AppComment}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#GuiExe}"; Description: "{cm:LaunchProgram,Wenyang}"; Flags: nowait postinstall skipifsilent

; No [UninstallDelete]: the uninstaller removes what it installed. Libraries (%APPDATA%\Wenyang\library)
; and settings belong to the user and are kept.
